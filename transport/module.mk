# transport/ — the transport interface and its UCX implementation (docs/transport.md).
TRANSPORT_WIRE_OBJS := $(call objs,transport/wire.c)
TRANSPORT_HELLO_OBJS := $(call objs,transport/hello.c)
TRANSPORT_OBJS := $(TRANSPORT_WIRE_OBJS) $(TRANSPORT_HELLO_OBJS) $(call objs,transport/rdv_inbox.c transport/rendezvous.c transport/ucx.c transport/datapath.c transport/liveness.c)
SSIVM_OBJS += $(TRANSPORT_OBJS)
TRANSPORT_FLOOR_OBJS := $(call objs,transport/rtt.c)
SSIVM_OBJS += $(TRANSPORT_FLOOR_OBJS)

# tp-node: one node of the multi-process transport tests, and the RTT floor.
$(eval $(call program,tp-node,tests/multiproc/tp_node.c tests/multiproc/tp_evil.c,$(TRANSPORT_OBJS) $(TRANSPORT_FLOOR_OBJS) $(COMMON_OBJS),$(UCX_LIBS)))
# tp-hello-evil: a hostile client of the rendezvous port (tests/multiproc/transport-rdv.sh).
$(eval $(call program,tp-hello-evil,tests/multiproc/tp_hello_evil.c,$(TRANSPORT_HELLO_OBJS)))

# Unit tests (cmocka).
$(eval $(call unit_test,test_transport_wire,tests/unit/test_transport_wire.c,$(TRANSPORT_WIRE_OBJS)))
$(eval $(call unit_test,test_transport_hello,tests/unit/test_transport_hello.c,$(TRANSPORT_HELLO_OBJS)))
$(eval $(call unit_test,test_transport_api,tests/unit/test_transport_api.c,$(TRANSPORT_OBJS) $(COMMON_OBJS),$(UCX_LIBS)))

# Multi-process tests (tests/multiproc/transport-run.sh FABRIC N SCENARIO, one wrapper each).
TRANSPORT_MP_TESTS := tcp-2 tcp-3 tcp-4 shm-2 shm-3 shm-4 evil-tcp evil-shm kill-tcp kill-shm hang-tcp hang-shm
TEST_LIST += $(foreach t,$(TRANSPORT_MP_TESTS),multiproc:transport-$(t):tests/multiproc/transport-$(t).sh)
# Hostile and mistaken input on the rendezvous port (tests/multiproc/transport-rdv.sh SCENARIO).
TRANSPORT_RDV_TESTS := badhello silent nodecount stranger duplicate duplicate3
TEST_LIST += $(foreach t,$(TRANSPORT_RDV_TESTS),multiproc:transport-rdv-$(t):tests/multiproc/transport-rdv-$(t).sh)
# The test programs refuse junk numbers (exit 2, a message naming the option).
TEST_LIST += multiproc:transport-args:tests/multiproc/transport-args.sh
# With netem delay/jitter: boots the KVM sandbox where the host lacks sch_netem (~50 s): make check-e2e.
TEST_LIST += e2e:transport-netem-3:tests/multiproc/transport-netem-3.sh

# Fuzz targets of the wire decoder and the rendezvous hello decoder (clang +
# libFuzzer; not part of `all`). `make fuzz-transport` builds them; the
# unit-layer tests run each for a bounded time over a copy of its seed corpus
# (tests/fuzz/run-fuzz.sh; skip without clang), e2e runs the hello decoder's longer.
FUZZ_CFLAGS := -g -O1 $(CSTD) -Wall -Wextra -Werror -D_GNU_SOURCE -I. \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
TRANSPORT_FUZZ := $(BUILD)/fuzz/transport_wire_fuzz $(BUILD)/fuzz/transport_hello_fuzz
.PHONY: fuzz-transport
fuzz-transport: $(TRANSPORT_FUZZ)
$(BUILD)/fuzz/transport_wire_fuzz: tests/fuzz/transport_wire_fuzz.c transport/wire.c transport/wire.h transport/transport.h
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ tests/fuzz/transport_wire_fuzz.c transport/wire.c
$(BUILD)/fuzz/transport_hello_fuzz: tests/fuzz/transport_hello_fuzz.c transport/hello.c transport/hello.h transport/transport.h
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ tests/fuzz/transport_hello_fuzz.c transport/hello.c
TEST_LIST += unit:transport-wire-fuzz:tests/fuzz/transport_wire_fuzz.sh
TEST_LIST += unit:transport-hello-fuzz:tests/fuzz/transport_hello_fuzz.sh
TEST_LIST += e2e:transport-hello-fuzz-long:tests/fuzz/transport_hello_fuzz_long.sh

# Benchmark: the transport floor (4 KiB request/response RTT) beside ucx_perftest.
BENCH_LIST += bench/transport_rtt
