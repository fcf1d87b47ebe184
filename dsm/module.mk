# dsm/module.mk — DSM runtime: userfaultfd, the service thread, metrics, the
# stress node, its multi-process tests and the fault benchmark. The protocol's
# objects come from dsm/proto/module.mk (DSM_PROTO_OBJS) and the transport's
# from transport/module.mk (TRANSPORT_OBJS); both fragments are read after this
# one, so the programs below name them with $$(...) (second expansion).
DSM_UFFD_OBJS := $(call objs,dsm/uffd.c)
DSM_METRICS_OBJS := $(call objs,dsm/metrics_hist.c dsm/metrics.c)
DSM_RUNTIME_OBJS := $(call objs,dsm/runtime.c dsm/runtime_ops.c) $(DSM_UFFD_OBJS) $(DSM_METRICS_OBJS)
SSIVM_OBJS += $(DSM_RUNTIME_OBJS) $(call objs,control/cmd_stats.c)

$(eval $(call unit_test,test_metrics_hist,tests/unit/test_metrics_hist.c,$(DSM_METRICS_OBJS) $(COMMON_OBJS)))

.SECONDEXPANSION:
DSM_LINK = $(DSM_RUNTIME_OBJS) $$$$(DSM_PROTO_OBJS) $$$$(TRANSPORT_OBJS) $(COMMON_OBJS)
$(eval $(call program,dsm-node,tests/multiproc/dsm_node.c,$(DSM_LINK),$(UCX_LIBS)))

TEST_LIST += multiproc:dsm-stress-tcp-2:tests/multiproc/dsm-stress.sh
