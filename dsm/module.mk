# dsm/module.mk — DSM runtime (userfaultfd, service thread, metrics). The
# protocol's own objects are added by its fragment (DSM_PROTO_OBJS).
DSM_UFFD_OBJS := $(call objs,dsm/uffd.c)
DSM_METRICS_OBJS := $(call objs,dsm/metrics_hist.c dsm/metrics.c)

$(eval $(call unit_test,test_metrics_hist,tests/unit/test_metrics_hist.c,$(DSM_METRICS_OBJS) $(COMMON_OBJS)))
SSIVM_OBJS += $(DSM_UFFD_OBJS) $(DSM_METRICS_OBJS) $(call objs,control/cmd_stats.c)
