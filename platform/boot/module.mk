# platform/boot/: kernel loaders (bzImage, PVH, multiboot) and the e820 map; detection.
BOOT_LINUX_OBJS := $(call objs,platform/boot/linux.c platform/boot/pvh.c platform/boot/e820.c platform/boot/detect.c)
MULTIBOOT_OBJS := $(call objs,platform/boot/multiboot.c)
SSIVM_OBJS += $(BOOT_LINUX_OBJS) $(MULTIBOOT_OBJS)
$(eval $(call unit_test,test_boot_linux,tests/unit/test_boot_linux.c,$(BOOT_LINUX_OBJS) $(call objs,platform/memmap.c) $(COMMON_OBJS)))
$(eval $(call unit_test,test_multiboot,tests/unit/test_multiboot.c,$(MULTIBOOT_OBJS) $(call objs,platform/memmap.c) $(COMMON_OBJS)))
$(eval $(call unit_test,test_multiboot_modules,tests/unit/test_multiboot_modules.c,$(MULTIBOOT_OBJS) $(call objs,platform/memmap.c) $(COMMON_OBJS)))
