# tests/guest/module.mk — issue 7's guest layer: the multiboot loader and the
# exit port (linked into ssivm by platform/boot/module.mk and here), their unit tests, and the guest-layer tests
# that boot the test guest (guest/testguest) on ssivm and under plain QEMU.
MULTIBOOT_OBJS := $(call objs,platform/boot/multiboot.c)
$(eval $(call unit_test,test_multiboot,tests/unit/test_multiboot.c,$(MULTIBOOT_OBJS) $(call objs,platform/memmap.c) $(COMMON_OBJS)))
$(eval $(call unit_test,test_multiboot_modules,tests/unit/test_multiboot_modules.c,$(MULTIBOOT_OBJS) $(call objs,platform/memmap.c) $(COMMON_OBJS)))
TEST_LIST += guest:testguest-qemu:tests/guest/testguest-qemu.sh
TEST_LIST += guest:testguest-ssivm:tests/guest/testguest-ssivm.sh
TEST_LIST += guest:multiboot-ssivm:tests/guest/multiboot-ssivm.sh
# the exit port needs vm_request_exit() (vcpu/vm.c)
SSIVM_OBJS += $(if $(wildcard vcpu/vm.c),$(call objs,devices/debug_exit.c))
TEST_LIST += guest:irq-modes-ssivm:tests/guest/irq-modes-ssivm.sh
