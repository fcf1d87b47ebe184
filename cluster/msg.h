/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cluster/msg.h — the messages of the control channel between the nodes of a
 * guest that spans hosts (cluster/channel.h), and their one decoder.
 *
 * Every message is a 4-byte header (type, version, two zero bytes) and a
 * fixed body per type, little-endian, carried as one transport control
 * message (transport/transport.h, which already checks the sender, the
 * length it received, a sequence number and its own magic/version). The
 * decoder checks everything else before anyone acts on a message: known
 * type and version, the exact length of the type, zero reserved bytes, and
 * every field against the limits of this VM (node and vCPU ids, access
 * widths, NUL-terminated text). A message that fails is refused with a
 * reason (cl_reject_name) and counted by the channel; it never reaches the
 * VM. Pure functions: no I/O, any thread (tests/unit/test_cluster_msg.c,
 * tests/fuzz/cluster_msg_fuzz.c).
 */
#ifndef SSIVM_CLUSTER_MSG_H
#define SSIVM_CLUSTER_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CL_VERSION 1
#define CL_WHY_LEN 192     /* EXIT's reason, NUL included */
#define CL_BUSMAP_MAX 60   /* ranges per BUSMAP message */
#define CL_STATE_CHUNK 960 /* bytes of vCPU state per VCPU_STATE message */

enum cl_type {
	CL_HELLO = 1,  /* who I am and what I run: must match on every node */
	CL_READY,      /* start-up barrier: I reached phase N */
	CL_BUSMAP,     /* I/O node -> all: the ranges its devices claim */
	CL_IO_REQ,     /* vCPU's node -> I/O node: a port or MMIO access */
	CL_IO_RESP,    /* I/O node -> vCPU's node: its result */
	CL_IRQ,        /* an interrupt message for a vCPU of the receiver */
	CL_EOI,        /* -> I/O node: a level-triggered vector was EOI'd */
	CL_EXIT,       /* the VM ends with this status */
	CL_PING,       /* clock offset measurement (NTP-like) */
	CL_PONG,       /* its answer */
	CL_CLOCK,      /* I/O node -> all: the common guest time base */
	CL_VCPU_STATE, /* a chunk of a vCPU's saved state (moving a vCPU) */
	CL_VCPU_MOVED, /* the receiver of a moved vCPU runs it now */
	CL_TYPE_MAX,
};

enum cl_bus { CL_BUS_PIO = 0, CL_BUS_MMIO = 1 };

/* Why a message was refused (counted per reason by the channel). */
enum cl_reject {
	CL_REJ_SHORT = 0, /* shorter than the header */
	CL_REJ_TYPE,      /* unknown type */
	CL_REJ_VERSION,   /* another version */
	CL_REJ_LENGTH,    /* not the length of its type */
	CL_REJ_RESERVED,  /* a reserved byte or flag is set */
	CL_REJ_NODE,      /* a node id out of range */
	CL_REJ_VCPU,      /* a vCPU index out of range */
	CL_REJ_ACCESS,    /* bad bus, width or address range */
	CL_REJ_FIELD,     /* another field out of range */
	CL_REJ_TEXT,      /* text not NUL-terminated */
	CL_REJ_NR
};

const char *cl_reject_name(unsigned r);

/* The limits a message is checked against (this VM's configuration). */
struct cl_limits {
	uint32_t nr_nodes;
	uint32_t nr_vcpus;
};

struct cl_hello {
	uint32_t node, nr_nodes, nr_vcpus, reserved;
	uint64_t ram_bytes;
	uint64_t config_hash; /* of the guest and cluster configuration */
};

struct cl_range {
	uint8_t bus; /* enum cl_bus */
	uint8_t pad[3];
	uint32_t len;
	uint64_t base;
};

struct cl_busmap {
	uint16_t count;
	uint16_t last; /* 1 in the last message of the map */
	uint32_t pad;
	struct cl_range r[CL_BUSMAP_MAX];
};

struct cl_io_req {
	uint32_t cpu;
	uint8_t bus, len, is_write, pad;
	uint64_t addr;
	uint8_t data[8];
	uint32_t seq, pad2;
};

struct cl_io_resp {
	uint32_t cpu;
	int32_t err; /* 0 or -errno of the device */
	uint8_t data[8];
	uint32_t seq, pad;
};

struct cl_irq {
	uint32_t dest; /* APIC ID (physical) */
	uint8_t vector;
	uint8_t delivery; /* enum irq_delivery (irq/irq.h): fixed, NMI, INIT, SIPI ... */
	uint8_t level;
	uint8_t pad;
};

struct cl_eoi {
	uint8_t vector;
	uint8_t pad[7];
};

struct cl_exit {
	int32_t status;
	uint32_t pad;
	char why[CL_WHY_LEN];
};

struct cl_ping {
	uint64_t t1; /* sender's clock at send (CLOCK_REALTIME, ns) */
	uint32_t seq, pad;
};

struct cl_pong {
	uint64_t t1, t2, t3; /* ping sent, ping received, pong sent */
	uint32_t seq, pad;
};

struct cl_clock {
	uint64_t epoch_ns;          /* the I/O node's CLOCK_REALTIME at guest TSC 0 */
	uint32_t tsc_khz;           /* the guest's TSC frequency on every node */
	uint32_t flags;             /* CL_CLOCK_KVMCLOCK: the two fields below are valid */
	uint64_t kvmclock;          /* the I/O node's kvmclock (KVM_GET_CLOCK) ... */
	uint64_t kvmclock_realtime; /* ... at this CLOCK_REALTIME of the I/O node */
};
#define CL_CLOCK_KVMCLOCK 0x1

struct cl_vcpu_state {
	uint32_t cpu;
	uint32_t total;  /* bytes of the whole state */
	uint32_t offset; /* of this chunk */
	uint16_t len;    /* of this chunk, <= CL_STATE_CHUNK */
	uint16_t pad;
	uint8_t data[CL_STATE_CHUNK];
};

struct cl_vcpu_moved {
	uint32_t cpu;
	uint32_t node; /* where it runs now */
};

struct cl_ready {
	uint32_t phase, pad;
};

/* One decoded message. */
struct cl_msg {
	uint8_t type;
	union {
		struct cl_hello hello;
		struct cl_ready ready;
		struct cl_busmap busmap;
		struct cl_io_req io_req;
		struct cl_io_resp io_resp;
		struct cl_irq irq;
		struct cl_eoi eoi;
		struct cl_exit exit;
		struct cl_ping ping;
		struct cl_pong pong;
		struct cl_clock clock;
		struct cl_vcpu_state state;
		struct cl_vcpu_moved moved;
	} u;
};

#define CL_HDR_LEN 4u
/* Largest encoded message (fits in one transport control message). */
#define CL_MAX_LEN (CL_HDR_LEN + sizeof(((struct cl_msg *)0)->u))

/* Bytes of the body of @type (0: unknown type). */
size_t cl_body_len(unsigned type);

/*
 * Encode @m into @buf (at least CL_MAX_LEN bytes). Returns the length. The
 * caller fills the fields; reserved ones must be zero (memset the struct).
 */
size_t cl_encode(const struct cl_msg *m, void *buf);

/*
 * Decode and check @len bytes at @buf against @lim. Returns 0 with *out
 * filled, or -EPROTO with *reason set (enum cl_reject).
 */
int cl_decode(const void *buf, size_t len, const struct cl_limits *lim, struct cl_msg *out,
	      unsigned *reason);

const char *cl_type_name(unsigned type);

#endif
