# devices/: the port-I/O and MMIO buses and the platform devices.
DEVICES_BUS_OBJS := $(call objs,devices/bus.c)
SSIVM_OBJS += $(DEVICES_BUS_OBJS) $(call objs,devices/uart.c devices/serial.c devices/power.c \
	devices/debug_exit.c devices/rtc.c)
$(eval $(call unit_test,test_uart,tests/unit/test_uart.c,$(call objs,devices/uart.c)))
$(eval $(call unit_test,test_bus,tests/unit/test_bus.c,$(DEVICES_BUS_OBJS) $(call objs,platform/memmap.c) $(COMMON_OBJS)))
$(eval $(call unit_test,test_rtc,tests/unit/test_rtc.c,$(call objs,devices/rtc.c) $(DEVICES_BUS_OBJS) $(call objs,platform/memmap.c) $(COMMON_OBJS)))
