# obs/ — observability: the per-node Prometheus endpoint over HTTP
# (--metrics-http) and the text it serves (docs/metrics.md).
OBS_HTTP_OBJS := $(call objs,obs/http.c)
OBS_OBJS := $(OBS_HTTP_OBJS) $(call objs,obs/format.c)
SSIVM_OBJS += $(OBS_OBJS)
# the HTTP server against real requests (DSM metrics only: no KVM needed)
$(eval $(call unit_test,test_obs_http,tests/unit/test_obs_http.c,$(OBS_HTTP_OBJS) $(DSM_METRICS_OBJS) $(COMMON_OBJS)))
# the endpoint scraped from a running 1-node VM (curl, promtool), and
# `ssivm top` under tmux; the 2-node check is in layer span
TEST_LIST += guest:metrics-http:tests/guest/metrics-http.sh
TEST_LIST += span:span-metrics-shm-2:tests/guest/span-metrics-shm-2.sh
