# dsm/proto/module.mk — the DSM coherence protocol (pure state machines),
# its policies and message codec, their unit tests and the deterministic
# network simulator. The runtime (dsm/module.mk) links DSM_PROTO_OBJS.
DSM_PROTO_OBJS := $(call objs,dsm/msg.c dsm/policy.c dsm/proto.c dsm/proto_home.c dsm/proto_setup.c)
SSIVM_OBJS += $(DSM_PROTO_OBJS)

$(eval $(call unit_test,test_dsm_msg,tests/unit/test_dsm_msg.c,$(DSM_PROTO_OBJS) $(COMMON_OBJS)))
$(eval $(call unit_test,test_dsm_proto,tests/unit/test_dsm_proto.c,$(DSM_PROTO_OBJS) $(COMMON_OBJS)))

# The simulator: build/bin/dsm-sim; quick run in `make check`, long in e2e.
$(eval $(call program,dsm-sim,tests/sim/sim.c tests/sim/sim_net.c tests/sim/sim_main.c,$(DSM_PROTO_OBJS) $(COMMON_OBJS)))
TEST_LIST += unit:dsm-sim:tests/sim/run-quick.sh
TEST_LIST += e2e:dsm-sim-long:tests/sim/run-long.sh
