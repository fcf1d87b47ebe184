# platform/boot/: kernel loaders (bzImage, PVH, multiboot), the e820 map, detection, and the
# boot inputs (image.c: read and checked before KVM, placed after).
BOOT_OBJS := $(call objs,platform/boot/linux.c platform/boot/pvh.c platform/boot/e820.c \
	platform/boot/detect.c platform/boot/multiboot.c platform/boot/image.c)
SSIVM_OBJS += $(BOOT_OBJS)
BOOT_TEST_OBJS := $(BOOT_OBJS) $(call objs,platform/memmap.c) $(COMMON_OBJS)
$(eval $(call unit_test,test_boot_linux,tests/unit/test_boot_linux.c,$(BOOT_TEST_OBJS)))
$(eval $(call unit_test,test_boot_image,tests/unit/test_boot_image.c,$(BOOT_TEST_OBJS)))
$(eval $(call unit_test,test_multiboot,tests/unit/test_multiboot.c,$(BOOT_TEST_OBJS)))
$(eval $(call unit_test,test_multiboot_modules,tests/unit/test_multiboot_modules.c,$(BOOT_TEST_OBJS)))
