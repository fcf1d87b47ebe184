# bench/module.mk — the benchmarks (`make bench`); each prints its figures
# beside the floors measured in the same run (bench/README.md). Read after
# every other fragment: the programs link the other parts' objects.
$(eval $(call program,dsm-fault-bench,bench/dsm_fault.c bench/dsm_floor.c,$(DSM_LINK),$(UCX_LIBS)))
BENCH_LIST += bench/dsm_fault.sh

# irq_bench links ssivm's objects (all but control/main.c)
IRQ_BENCH_OBJS := $(call objs,bench/irq_bench.c)
ALL_EXTRA += $(BUILD)/bin/irq_bench
$(BUILD)/bin/irq_bench: $(IRQ_BENCH_OBJS) $(BUILD)/ssivm
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(IRQ_BENCH_OBJS) $(filter-out $(BUILD)/obj/control/main.o,$(SSIVM_OBJS)) \
		$(UCX_LIBS) $(CONFIG_LIBS) $(LDLIBS)
BENCH_LIST += bench/irq_bench.sh
# candidate (d) of docs/irq.md: what a never-run proxy vCPU lets us capture
$(eval $(call program,irq_proxy_probe,bench/irq_proxy_probe.c,,))
BENCH_LIST += bench/irq_proxy_probe.sh
BENCH_LIST += bench/boot_time.sh
BENCH_LIST += bench/span_ipi.sh
