# dsm/proto/module.mk — the DSM coherence protocol (pure state machines),
# its policies and message codec, their unit tests and the deterministic
# network simulator. The runtime (dsm/module.mk) links DSM_PROTO_OBJS.
DSM_PROTO_OBJS := $(call objs,dsm/msg.c dsm/policy_opts.c dsm/policy.c dsm/proto.c dsm/proto_home.c dsm/proto_setup.c dsm/proto_dir.c)
SSIVM_OBJS += $(DSM_PROTO_OBJS)

$(eval $(call unit_test,test_dsm_msg,tests/unit/test_dsm_msg.c,$(DSM_PROTO_OBJS) $(COMMON_OBJS)))
$(eval $(call unit_test,test_dsm_proto,tests/unit/test_dsm_proto.c,$(DSM_PROTO_OBJS) $(COMMON_OBJS)))
$(eval $(call unit_test,test_dsm_trust,tests/unit/test_dsm_trust.c,$(DSM_PROTO_OBJS) $(COMMON_OBJS)))

# The simulator: build/bin/dsm-sim; quick run in `make check`, long in e2e.
$(eval $(call program,dsm-sim,tests/sim/sim.c tests/sim/sim_net.c tests/sim/sim_check.c tests/sim/proto_check.c tests/sim/sim_main.c,$(DSM_PROTO_OBJS) $(COMMON_OBJS)))
TEST_LIST += unit:dsm-sim:tests/sim/run-quick.sh
TEST_LIST += e2e:dsm-sim-long:tests/sim/run-long.sh

# Fuzz target of the message input path. `make fuzz-dsm` builds the libFuzzer
# binary with clang (run: build/fuzz/dsm-recv -max_total_time=60); the same
# target driven by a seeded mutator is build/bin/dsm-fuzz, run in make check.
$(eval $(call program,dsm-fuzz,tests/sim/fuzz_dsm_recv.c tests/sim/fuzz_dsm_main.c tests/sim/proto_check.c,$(DSM_PROTO_OBJS) $(COMMON_OBJS)))
TEST_LIST += unit:dsm-fuzz:tests/sim/run-fuzz.sh
.PHONY: fuzz-dsm
fuzz-dsm: $(BUILD)/fuzz/dsm-recv
$(BUILD)/fuzz/dsm-recv: tests/sim/fuzz_dsm_recv.c tests/sim/proto_check.c dsm/msg.c dsm/policy_opts.c dsm/policy.c dsm/proto.c dsm/proto_home.c dsm/proto_setup.c dsm/proto_dir.c common/log.c
	@mkdir -p $(dir $@)
	clang -g -O1 $(CSTD) $(WARN) -D_GNU_SOURCE -I. -DDSM_FUZZ_LIBFUZZER -fsanitize=fuzzer,address,undefined -o $@ $^
# CPU cost of the state machines alone (not a test): build/bin/dsm-proto-cost
$(eval $(call program,dsm-proto-cost,tests/sim/proto_cost.c,$(DSM_PROTO_OBJS) $(COMMON_OBJS)))
