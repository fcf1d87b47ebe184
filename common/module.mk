# common/ — logging and small shared helpers.
COMMON_OBJS := $(call objs,common/log.c)
SSIVM_OBJS += $(COMMON_OBJS)
