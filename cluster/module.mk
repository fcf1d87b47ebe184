# cluster/ — what a guest spanning hosts adds: the control channel between the
# nodes (membership, start-up, forwarded I/O and interrupts, the guest's time
# base, the VM's end, failure), the local cluster launcher. docs/cluster.md.
CLUSTER_MSG_OBJS := $(call objs,cluster/msg.c)
CLUSTER_OBJS := $(CLUSTER_MSG_OBJS) $(call objs,cluster/channel.c cluster/channel_recv.c cluster/node.c \
	cluster/launch.c)
SSIVM_OBJS += $(CLUSTER_OBJS)
$(eval $(call unit_test,test_cluster_msg,tests/unit/test_cluster_msg.c,$(CLUSTER_MSG_OBJS)))
