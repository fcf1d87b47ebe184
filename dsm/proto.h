/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dsm/proto.h — the DSM coherence protocol as a pure state machine.
 *
 * One struct dsm_proto per node. Events go in (a local fault, a message from a
 * peer, a clock tick); actions come out through the caller's struct
 * dsm_proto_ops (send a message, install/protect/unprotect/drop a page, wake a
 * faulting vCPU). There is no I/O, no clock, no thread and no lock inside.
 *
 * Threading: an instance and everything reachable from it are owned by ONE
 * thread, the node's DSM service thread. Every dsm_proto_* call on an
 * instance must come from that thread; the ops are called back synchronously
 * on it, in the order the protocol needs them. There is no global lock:
 * nodes only share messages.
 *
 * Model (see docs/dsm-protocol.md): guest RAM is nr_pages pages of 4 KiB.
 * Each page has a home node that keeps its directory entry (owner, copyset).
 * Per node per page a local state: Invalid (not mapped), Shared (mapped
 * read-only; the runtime write-protects it) or Exclusive (mapped read-write).
 * Single writer / many readers, write-invalidate; a faulting vCPU stays
 * blocked until wake() is called for its token. The home serialises the
 * transactions of a page (per-page FIFO queue at the home; no NACK/retry).
 * Every transaction ends with a DONE from the requester to the home, and the
 * home starts the next one only then, so a transaction's messages never mix
 * with the next one's.
 *
 * Transport assumptions: messages are delivered reliably and at most once to
 * the protocol. Per-pair FIFO is NOT required (the protocol tolerates any
 * reordering, see the simulator); a per-(sender, receiver) sequence number in
 * every message lets the receiver reject duplicates (window of 64, serial
 * number arithmetic: numbers wrap). docs/dsm-protocol.md has the details.
 *
 * Memory: dsm_proto_bytes_per_page() (2) bytes per guest page on every node
 * (local state, home hint), plus dsm_proto_dir_bytes_per_page() (16) per
 * page whose directory entry this node holds (pages homed here, found
 * through the runs of home_of(), and pages whose home moved here, in a hash
 * map), plus small tables sized by max_pending. dsm_proto_mem_bytes() adds
 * it all up for one instance.
 */
#ifndef SSIVM_DSM_PROTO_H
#define SSIVM_DSM_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsm/msg.h"
#include "dsm/policy.h"

#define DSM_PAGE_SIZE 4096u
#define DSM_MAX_NODES 64u
#define DSM_NO_NODE 0xffu

enum dsm_page_state {
	DSM_INVALID = 0,
	DSM_SHARED = 1,
	DSM_EXCLUSIVE = 2,
};

/* Actions. All are called on the service thread, synchronously, from inside
 * dsm_proto_fault/recv/tick. ctx is dsm_proto_params.ctx. A non-zero return
 * is a local failure: the protocol logs it, counts it (ops_failed) and
 * returns it from the event call; its own state has already advanced. */
struct dsm_proto_ops {
	/* Send msg (len bytes, an encoded dsm message) to node `to` (never
	 * self). page_data, when not NULL, is DSM_PAGE_SIZE bytes of page
	 * contents that travel with it: send() must have copied or transmitted
	 * them before it returns (the protocol may drop() the page right
	 * after). */
	int (*send)(void *ctx, unsigned to, const void *msg, size_t len, const void *page_data);
	/* Map `page` with these contents (NULL: zero-filled) — read-only
	 * (write-protected) unless writable. The page is currently not mapped,
	 * except when replacing a read-only copy (the runtime must accept
	 * both). */
	int (*install)(void *ctx, uint64_t page, const void *data, bool writable);
	/* Exclusive -> Shared in place: write-protect the page. After it returns
	 * no local write to the page may be in progress. */
	int (*protect)(void *ctx, uint64_t page);
	/* Shared -> Exclusive in place (the local copy is current). */
	int (*unprotect)(void *ctx, uint64_t page);
	/* Shared/Exclusive -> Invalid: unmap and discard (MADV_DONTNEED). */
	int (*drop)(void *ctx, uint64_t page);
	/* The local contents of a mapped page (DSM_PAGE_SIZE bytes), to send.
	 * Valid until the next action on that page. */
	const void *(*read_page)(void *ctx, uint64_t page);
	/* The fault identified by token (passed to dsm_proto_fault) on `page`
	 * is resolved: resume the vCPU, it will retry the access. */
	void (*wake)(void *ctx, uint64_t page, uint64_t token);
};

struct dsm_proto_params {
	unsigned self;     /* this node, < nr_nodes */
	unsigned nr_nodes; /* 1..DSM_MAX_NODES */
	uint64_t nr_pages; /* guest pages, > 0 */
	/* Static home of a page (the NUMA node whose range holds it). Called
	 * for every page during dsm_proto_create() only; must return
	 * < nr_nodes and be the same function on every node. */
	unsigned (*home_of)(void *ctx, uint64_t page);
	const struct dsm_proto_ops *ops; /* all members required */
	void *ctx;
	/* Pages this node may have faults outstanding on at once (0: 64).
	 * Homes start their transaction/queue tables at nr_nodes * max_pending
	 * entries and grow them on demand. */
	unsigned max_pending;
	/* Faulting tokens waiting at once on this node (0: 4 * max_pending). */
	unsigned max_waiters;
	struct dsm_policy policy; /* dsm_policy_defaults() then adjust */
	/* Key of this node's request ids (rids). 0: sequential 1, 2, 3...
	 * (tests). Otherwise each rid is a keyed mix of a counter, below 2^31
	 * and never 0, so a peer that is not in a transaction cannot guess the
	 * rid of an open request to forge its DATA, GRANT or INV_ACK. The
	 * runtime passes random bytes. Not a cryptographic MAC: the rids a
	 * member sees as a sharer or home do not reveal the key easily, but it
	 * is a mixing function, not a keyed hash with a security proof. */
	uint64_t rid_key;
};

/* Why a message was rejected. */
enum dsm_reject {
	DSM_REJ_LEN,        /* wrong length */
	DSM_REJ_MAGIC,      /* not a dsm message */
	DSM_REJ_VERSION,    /* other protocol version */
	DSM_REJ_TYPE,       /* unknown type */
	DSM_REJ_CRC,        /* checksum mismatch (corrupt) */
	DSM_REJ_FIELD,      /* a field out of range (flags, nacks, reserved...) */
	DSM_REJ_PAGE,       /* page >= nr_pages */
	DSM_REJ_NODE,       /* sender or a node field out of range / self */
	DSM_REJ_DUP,        /* sequence number already seen (duplicate) */
	DSM_REJ_STALE,      /* sequence number older than the window */
	DSM_REJ_NO_DATA,    /* DATA without page contents, or contents on others */
	DSM_REJ_NO_REQUEST, /* reply for a request this node has not made */
	DSM_REJ_STATE,      /* makes no sense in the page's current state */
	DSM_REJ_NOT_HOME,   /* home-only message to a node that is not home */
	DSM_REJ_BUSY,       /* request queue full / second request from a node */
	DSM_REJ_HOPS,       /* forwarded too many times */
	DSM_REJ_SENDER,     /* a message only the page's home (as this node knows
			     * it) or the transaction's requester may send, from
			     * another node; see docs/dsm-protocol.md, Trust */
	DSM_REJ_MAX
};

/* Name of a reason ("crc", "dup", ...), for logs and metrics. */
const char *dsm_reject_name(enum dsm_reject r);

/* Counters of one node. Monotonic unless marked gauge. */
struct dsm_counters {
	/* faults, by kind: exactly one of read/write/upgrade per fault that
	 * needed the protocol (requested or joined), so read + write + upgrade =
	 * requested + joined = served_home + served_remote + waiting; local
	 * faults and calls refused with -EAGAIN have no kind */
	uint64_t faults_read;      /* read fault on an Invalid page */
	uint64_t faults_write;     /* write fault on an Invalid page */
	uint64_t faults_upgrade;   /* write fault on a Shared page */
	uint64_t faults_local;     /* resolved at once (already mapped as needed) */
	uint64_t faults_joined;    /* waited on a request already in flight */
	uint64_t faults_requested; /* started a request to the home */
	/* how the protocol faults were served, counted at the wake-up (a
	 * requested or joined fault is one of these once woken, or waiting) */
	uint64_t faults_served_home;     /* no message left the node (first touch or
					* upgrade granted by the home to itself) */
	uint64_t faults_served_remote;   /* its transaction exchanged a message
					* with another node */
	uint64_t grants;                 /* requests of this node completed */
	uint64_t remote_fetches;         /* page contents received (DATA) */
	uint64_t upgrades_in_place;      /* write grants without data transfer */
	uint64_t zero_grants;            /* pages granted zero-filled, no transfer */
	uint64_t inv_sent;               /* invalidations sent (as home) */
	uint64_t inv_recv;               /* invalidations received and applied */
	uint64_t downgrades;             /* Exclusive -> Shared for a reader */
	uint64_t msgs_sent, msgs_recv;   /* to/from peers (not self) */
	uint64_t bytes_sent, bytes_recv; /* message + page bytes, peers only */
	uint64_t pages_sent, pages_recv; /* page payloads */
	uint64_t txns_home;              /* transactions run as home */
	uint64_t queued_home;            /* requests that waited at the home */
	uint64_t forwarded;              /* requests forwarded (not home) */
	uint64_t rejected[DSM_REJ_MAX];  /* messages rejected, by reason */
	uint64_t rejected_total;
	uint64_t ops_failed; /* an action callback returned an error */
	/* policies */
	uint64_t first_touch;     /* untouched pages granted to a toucher */
	uint64_t home_zero_fill;  /* untouched pages materialised at home */
	uint64_t reads_exclusive; /* reads served exclusive (replication off) */
	uint64_t migrations_out;  /* homes moved away from this node */
	uint64_t migrations_in;   /* homes moved to this node */
	uint64_t pins;            /* pages pinned by the ping-pong guard */
	uint64_t pin_full;        /* pin wanted but the pin table was full */
	uint64_t pin_delays;      /* requests held back by a pin */
	/* gauges */
	uint64_t pages_exclusive; /* pages mapped read-write here ("owned") */
	uint64_t pages_shared;    /* pages mapped read-only here */
	uint64_t pages_home;      /* directory entries held here */
	uint64_t pages_pinned;    /* pinned pages at this home */
	uint64_t faults_waiting;  /* requested or joined faults not woken yet */
};

struct dsm_proto;

/* Create a node's instance. All pages start Invalid and untouched. Returns 0
 * and *out, or -EINVAL (bad params, pr_err says which) / -ENOMEM. */
int dsm_proto_create(const struct dsm_proto_params *params, struct dsm_proto **out);
void dsm_proto_destroy(struct dsm_proto *p);

#define DSM_FAULT_DONE 0 /* resolved now; wake() will NOT be called */
#define DSM_FAULT_WAIT 1 /* wake(page, token) will be called later */

/* A local vCPU (or device) faulted on `page`. token is opaque (it comes back
 * in wake()). Returns DSM_FAULT_DONE, DSM_FAULT_WAIT, -EINVAL (page out of
 * range), -EAGAIN (max_pending/max_waiters reached: retry after a wake), or
 * an action's error. With DSM_FAULT_WAIT, wake() may already have been
 * called before this returns (the request completed locally, e.g. a first
 * touch of a page homed here): the runtime must tolerate that order. */
int dsm_proto_fault(struct dsm_proto *p, uint64_t page, bool is_write, uint64_t token);

/* A message from peer `from`; page_data is the DSM_PAGE_SIZE page that came
 * with it, or NULL. Everything is checked before anything is acted on.
 * Returns 0; -EPROTO (rejected: malformed, duplicate, or nonsensical in the
 * current state — counted by reason, logged at debug level, no state
 * changed); -EINVAL (from out of range or self; counted as DSM_REJ_NODE);
 * or an action's error. */
int dsm_proto_recv(struct dsm_proto *p, unsigned from, const void *msg, size_t len,
		   const void *page_data);

/* Advance the policy clock (monotonic nanoseconds, never decreasing). Call it
 * every millisecond or so while pins may exist, and before events when the
 * ping-pong guard is on (it timestamps bounces with the last tick). May run
 * queued requests whose pin hold expired. Returns 0 or an action's error. */
int dsm_proto_tick(struct dsm_proto *p, uint64_t now_ns);

/* Inside the wake() callback only: whether the fault being woken needed a
 * message to or from another node (false: served by this node alone). */
bool dsm_proto_waking_remote(const struct dsm_proto *p);

/* The reason of the last -EPROTO returned by dsm_proto_recv. */
enum dsm_reject dsm_proto_last_reject(const struct dsm_proto *p);

/* Read-only views, same thread. */
const struct dsm_counters *dsm_proto_counters(const struct dsm_proto *p);
enum dsm_page_state dsm_proto_page_state(const struct dsm_proto *p, uint64_t page);
/* Where this node sends requests for `page` (its home hint). */
unsigned dsm_proto_home_hint(const struct dsm_proto *p, uint64_t page);
/* The directory entry when this node is the page's home: 0 and owner
 * (DSM_NO_NODE when untouched) and copyset (bit n = node n holds a copy,
 * owner included); -ENOENT when this node is not the home. *busy tells
 * whether a transaction is running or queued for it. */
int dsm_proto_dir(const struct dsm_proto *p, uint64_t page, unsigned *owner, uint64_t *copyset,
		  bool *busy);
/* No fault waiting, no transaction or queued request at this home, nothing
 * in flight from this node's point of view. */
bool dsm_proto_idle(const struct dsm_proto *p);
/* Protocol bytes per guest page on every node, and per directory entry
 * (held only at the page's home). */
size_t dsm_proto_bytes_per_page(void);
size_t dsm_proto_dir_bytes_per_page(void);
/* Bytes allocated by this instance (all tables, current sizes). */
size_t dsm_proto_mem_bytes(const struct dsm_proto *p);

#endif
