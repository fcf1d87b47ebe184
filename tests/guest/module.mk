# tests/guest/module.mk — the guest layer: the test guest (guest/testguest)
# booted on ssivm (multiboot, the exit port, the three irqchip modes) and
# under plain QEMU.
TEST_LIST += guest:testguest-qemu:tests/guest/testguest-qemu.sh
TEST_LIST += guest:testguest-ssivm:tests/guest/testguest-ssivm.sh
TEST_LIST += guest:multiboot-ssivm:tests/guest/multiboot-ssivm.sh
TEST_LIST += guest:irq-modes-ssivm:tests/guest/irq-modes-ssivm.sh
