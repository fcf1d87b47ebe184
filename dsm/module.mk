# dsm/module.mk — DSM runtime: userfaultfd, the service thread, metrics, the
# stress node and its multi-process tests (the fault benchmark is in bench/module.mk). The protocol's
# objects come from dsm/proto/module.mk (DSM_PROTO_OBJS) and the transport's
# from transport/module.mk (TRANSPORT_OBJS); both fragments are read after this
# one, so the programs below name them with $$(...) (second expansion).
DSM_UFFD_OBJS := $(call objs,dsm/uffd.c)
DSM_METRICS_OBJS := $(call objs,dsm/metrics_hist.c dsm/metrics.c)
DSM_RUNTIME_OBJS := $(call objs,dsm/runtime.c dsm/runtime_ops.c dsm/runtime_move.c) $(DSM_UFFD_OBJS) $(DSM_METRICS_OBJS)
SSIVM_OBJS += $(DSM_RUNTIME_OBJS)

$(eval $(call unit_test,test_metrics_hist,tests/unit/test_metrics_hist.c,$(DSM_METRICS_OBJS) $(COMMON_OBJS)))
$(eval $(call unit_test,test_metrics_socket,tests/unit/test_metrics_socket.c,$(DSM_METRICS_OBJS) $(COMMON_OBJS)))
# `ssivm stats` (control/cmd_stats.c): runs the built binary against bad servers
$(eval $(call unit_test,test_stats,tests/unit/test_stats.c,$(DSM_METRICS_OBJS) $(COMMON_OBJS)))
$(BUILD)/tests/test_stats: | $(BUILD)/ssivm

.SECONDEXPANSION:
DSM_LINK = $(DSM_RUNTIME_OBJS) $$$$(DSM_PROTO_OBJS) $$$$(TRANSPORT_OBJS) $(COMMON_OBJS)
$(eval $(call program,dsm-node,tests/multiproc/dsm_node.c tests/multiproc/dsm_final.c,$(DSM_LINK),$(UCX_LIBS)))
$(eval $(call program,dsm-edge,tests/multiproc/dsm_edge.c,$(DSM_LINK),$(UCX_LIBS)))
$(eval $(call program,dsm-evil,tests/multiproc/dsm_evil.c,$$$$(DSM_PROTO_OBJS) $$$$(TRANSPORT_OBJS) $(COMMON_OBJS),$(UCX_LIBS)))

# multi-process stress and fault tests (root; 77 otherwise), short by default
# (netem needs the KVM sandbox here: about 2 minutes, so it is in e2e)
TEST_LIST += $(foreach v,tcp-2 tcp-3 tcp-4 shm-2 shm-3 shm-4 kill-3 killshm-3 evil-3,\
	multiproc:dsm-stress-$(v):tests/multiproc/dsm-stress-$(v).sh)
# the policies on real processes: reads exclusive + home placement, and home
# migration + ping-pong guard (the defaults are the runs above)
TEST_LIST += $(foreach v,noreplica-shm-3 migrate-shm-3,\
	multiproc:dsm-stress-$(v):tests/multiproc/dsm-stress-$(v).sh)
# a node stopped (SIGSTOP), not killed: found by its missing heartbeats
# (--peer-timeout-ms 2000), about 6 s each
TEST_LIST += $(foreach v,hang-3 hangshm-3,multiproc:dsm-stress-$(v):tests/multiproc/dsm-stress-$(v).sh)
# negative tests (dsm-node --inject): they pass only when the checks catch a
# lost write, a stale read, and when node 0's bounded barrier names a node
# that stopped taking part; 3-8 s each
TEST_LIST += $(foreach v,lostwrite-shm-3 staleread-shm-3 stall-shm-3,\
	multiproc:dsm-stress-$(v):tests/multiproc/dsm-stress-$(v).sh)
TEST_LIST += e2e:dsm-stress-netem-3:tests/multiproc/dsm-stress-netem-3.sh
# a member sending well-formed but unexpected INV/FWD/DONE (fails while the
# protocol acts on them without checking that the sender is the page's home)
TEST_LIST += e2e:dsm-stress-evil-semantic-3:tests/multiproc/dsm-stress-evil-semantic-3.sh
TEST_LIST += $(foreach v,tcp-4 shm-4 netem-4,e2e:dsm-stress-long-$(v):tests/multiproc/dsm-stress-long-$(v).sh)
TEST_LIST += multiproc:dsm-fault-bench-smoke:tests/multiproc/dsm-fault-bench-smoke.sh
# pages discarded behind the protocol's back; a blocked reader when the DSM fails and stops
TEST_LIST += multiproc:dsm-edge:tests/multiproc/dsm-edge.sh
