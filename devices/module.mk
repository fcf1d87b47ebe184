# devices/: the port-I/O and MMIO buses and the platform devices.
DEVICES_BUS_OBJS := $(call objs,devices/bus.c)
DEVICES_PCI_OBJS := $(call objs,devices/pci.c)
DEVICES_VQ_OBJS := $(call objs,devices/virtqueue.c)
SSIVM_OBJS += $(DEVICES_BUS_OBJS) $(DEVICES_PCI_OBJS) $(DEVICES_VQ_OBJS) $(call objs,devices/uart.c devices/serial.c \
	devices/power.c devices/debug_exit.c devices/pci_host.c devices/rtc.c)
$(eval $(call unit_test,test_uart,tests/unit/test_uart.c,$(call objs,devices/uart.c)))
$(eval $(call unit_test,test_bus,tests/unit/test_bus.c,$(DEVICES_BUS_OBJS) $(call objs,platform/memmap.c) $(COMMON_OBJS)))
$(eval $(call unit_test,test_rtc,tests/unit/test_rtc.c,$(call objs,devices/rtc.c) $(DEVICES_BUS_OBJS) $(call objs,platform/memmap.c) $(COMMON_OBJS)))
$(eval $(call unit_test,test_pci,tests/unit/test_pci.c,$(DEVICES_PCI_OBJS) $(COMMON_OBJS)))
$(eval $(call unit_test,test_virtqueue,tests/unit/test_virtqueue.c,$(DEVICES_VQ_OBJS) $(call objs,platform/memmap.c) $(COMMON_OBJS)))

# libFuzzer target of the virtqueue walker (FUZZ_CFLAGS: transport/module.mk);
# the unit layer runs it 15 s over its seed corpus, e2e 120 s.
$(BUILD)/fuzz/virtqueue_fuzz: tests/fuzz/virtqueue_fuzz.c devices/virtqueue.c devices/virtqueue.h platform/memmap.c platform/memmap.h common/log.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ tests/fuzz/virtqueue_fuzz.c devices/virtqueue.c platform/memmap.c common/log.c
TEST_LIST += unit:virtqueue-fuzz:tests/fuzz/virtqueue_fuzz.sh
TEST_LIST += e2e:virtqueue-fuzz-long:tests/fuzz/virtqueue_fuzz_long.sh
# devices/virtio_pci.c and devices/virtio_rng.c (the modern virtio-pci
# transport with MSI-X, and virtio-rng) compile but are not linked into
# ssivm yet: not yet tried against a Linux guest.
