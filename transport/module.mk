# transport/ — the transport interface and its UCX implementation (docs/transport.md).
TRANSPORT_WIRE_OBJS := $(call objs,transport/wire.c)
TRANSPORT_OBJS := $(TRANSPORT_WIRE_OBJS) $(call objs,transport/rendezvous.c transport/ucx.c transport/datapath.c)
SSIVM_OBJS += $(TRANSPORT_OBJS)
TRANSPORT_FLOOR_OBJS := $(call objs,transport/rtt.c)
SSIVM_OBJS += $(TRANSPORT_FLOOR_OBJS)

# tp-node: one node of the multi-process transport tests, and the RTT floor.
$(eval $(call program,tp-node,tests/multiproc/tp_node.c tests/multiproc/tp_evil.c,$(TRANSPORT_OBJS) $(TRANSPORT_FLOOR_OBJS) $(COMMON_OBJS),$(UCX_LIBS)))

# Unit tests (cmocka).
$(eval $(call unit_test,test_transport_wire,tests/unit/test_transport_wire.c,$(TRANSPORT_WIRE_OBJS)))
$(eval $(call unit_test,test_transport_api,tests/unit/test_transport_api.c,$(TRANSPORT_OBJS) $(COMMON_OBJS),$(UCX_LIBS)))
