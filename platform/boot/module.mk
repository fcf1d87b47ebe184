# platform/boot/: kernel loaders (bzImage, PVH) and the e820 map; detection.
BOOT_LINUX_OBJS := $(call objs,platform/boot/linux.c platform/boot/pvh.c platform/boot/e820.c platform/boot/detect.c)
# multiboot.c belongs to the test-guest part; it is linked here, with the other loaders
SSIVM_OBJS += $(call objs,platform/boot/multiboot.c)
SSIVM_OBJS += $(BOOT_LINUX_OBJS)
$(eval $(call unit_test,test_boot_linux,tests/unit/test_boot_linux.c,$(BOOT_LINUX_OBJS) $(call objs,platform/memmap.c) $(COMMON_OBJS)))
