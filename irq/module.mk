# irq/module.mk — interrupt controllers and the fabric (docs/irq.md).
IRQ_OBJS := $(call objs,irq/irq.c irq/lapic.c irq/ioapic.c irq/proxy.c)
SSIVM_OBJS += $(IRQ_OBJS)
