COMMON_OBJS := $(call objs,common/log.c)
SSIVM_OBJS += $(COMMON_OBJS) $(call objs,control/main.c)
