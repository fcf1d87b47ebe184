# tests/guest/module.mk — the guest layer: the test guest (guest/testguest)
# booted on ssivm (multiboot, the exit port, the three irqchip modes) and
# under plain QEMU.
TEST_LIST += guest:testguest-qemu:tests/guest/testguest-qemu.sh
TEST_LIST += guest:testguest-ssivm:tests/guest/testguest-ssivm.sh
TEST_LIST += guest:multiboot-ssivm:tests/guest/multiboot-ssivm.sh
TEST_LIST += guest:irq-modes-ssivm:tests/guest/irq-modes-ssivm.sh
# the test guest across 2 and 3 hosts of a local cluster (cluster/, docs/cluster.md)
TEST_LIST += $(foreach v,shm-2 tcp-2 shm-3,guest:span-testguest-$(v):tests/guest/span-testguest-$(v).sh)
