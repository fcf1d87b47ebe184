# irq/module.mk — interrupt controllers and the fabric (docs/irq.md), and
# their benchmark. irq_bench links ssivm's objects (all but control/main.c),
# expanded when its recipe runs, after every fragment was read.
# (only once the VM code, vcpu/vm.c, is in the tree: irq/ is built on it)
ifneq ($(wildcard vcpu/vm.c),)
IRQ_OBJS := $(call objs,irq/irq.c irq/lapic.c irq/ioapic.c)
SSIVM_OBJS += $(IRQ_OBJS)
IRQ_BENCH_OBJS := $(call objs,bench/irq_bench.c)
ALL_EXTRA += $(BUILD)/bin/irq_bench
$(BUILD)/bin/irq_bench: $(IRQ_BENCH_OBJS) $(BUILD)/ssivm
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(IRQ_BENCH_OBJS) $(filter-out $(BUILD)/obj/control/main.o,$(SSIVM_OBJS)) \
		$(UCX_LIBS) $(CONFIG_LIBS) $(LDLIBS)
BENCH_LIST += bench/irq_bench.sh
endif
# candidate (d) of docs/irq.md: what a never-run proxy vCPU lets us capture
$(eval $(call program,irq_proxy_probe,bench/irq_proxy_probe.c,,))
BENCH_LIST += bench/irq_proxy_probe.sh
