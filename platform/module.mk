PLATFORM_CORE_OBJS := $(call objs,platform/memmap.c)
SSIVM_OBJS += $(PLATFORM_CORE_OBJS)
