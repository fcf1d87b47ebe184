# devices/: the port-I/O and MMIO buses and the platform devices.
DEVICES_BUS_OBJS := $(call objs,devices/bus.c)
DEVICES_PCI_OBJS := $(call objs,devices/pci.c)
SSIVM_OBJS += $(DEVICES_BUS_OBJS) $(DEVICES_PCI_OBJS) $(call objs,devices/uart.c devices/serial.c \
	devices/power.c devices/debug_exit.c devices/pci_host.c)
$(eval $(call unit_test,test_uart,tests/unit/test_uart.c,$(call objs,devices/uart.c)))
$(eval $(call unit_test,test_bus,tests/unit/test_bus.c,$(DEVICES_BUS_OBJS) $(call objs,platform/memmap.c) $(COMMON_OBJS)))
$(eval $(call unit_test,test_pci,tests/unit/test_pci.c,$(DEVICES_PCI_OBJS) $(COMMON_OBJS)))
