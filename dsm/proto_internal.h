/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dsm/proto_internal.h — the protocol instance's private state, shared by
 * dsm/proto.c (events, requester/owner/sharer side), dsm/proto_home.c (the
 * directory side) and dsm/policy.c (pin table, bounce accounting). Not for
 * users of dsm/proto.h. Same threading as dsm/proto.h: one thread.
 */
#ifndef SSIVM_DSM_PROTO_INTERNAL_H
#define SSIVM_DSM_PROTO_INTERNAL_H

#include "dsm/proto.h"

/* Per page, per node: 2 bytes. */
struct dsm_page {
	uint8_t st;   /* PS_STATE bits: enum dsm_page_state; PF_* flags */
	uint8_t home; /* where to send requests (hint; self when home) */
};
_Static_assert(sizeof(struct dsm_page) == 2, "local per-page protocol state is 2 bytes");

/* Directory entry: only at the page's home (PF_HOME). 16 bytes. */
struct dsm_dir {
	uint64_t copyset;   /* nodes holding a copy (owner included) */
	uint8_t owner;      /* DSM_NO_NODE while untouched */
	uint8_t last_req;   /* node of the last transaction (migration) */
	uint8_t streak;     /* consecutive transactions by last_req */
	uint8_t bounces;    /* ownership moves in the current window */
	uint16_t bounce_ms; /* start of the window, ms modulo 65536 */
	uint16_t reserved;
};
_Static_assert(sizeof(struct dsm_dir) == 16, "directory entry is 16 bytes");

/* A run of pages statically homed here: entries base.. of dir_static. */
struct dir_range {
	uint64_t first, count, base;
};

#define PS_STATE 0x03u
#define PF_HOME 0x04u    /* this node holds the directory entry */
#define PF_PENDING 0x08u /* a local request is outstanding (struct pend) */
#define PF_TXN 0x10u     /* home: a transaction runs or requests queue */
#define PF_PINNED 0x20u  /* home: pinned by the ping-pong guard */
#define PF_ZERO 0x40u    /* held (S/E) but not mapped yet: contents are zero */

/* page number -> small index, open addressing with backward-shift delete. */
struct idmap {
	uint64_t *keys;
	int32_t *vals; /* -1: empty slot */
	uint32_t mask;
};

/* A local request in flight (requester side). */
struct pend {
	uint64_t page;
	uint64_t acks; /* nodes whose INV_ACK arrived */
	uint32_t rid;
	int32_t waiters; /* first waiter, -1 none */
	int32_t next_free;
	uint8_t granted; /* 0, or the grant kind below */
	uint8_t nacks;   /* valid once granted */
	uint8_t home;    /* home of the running transaction, once granted */
	uint8_t excl;    /* the grant is exclusive */
	uint8_t remote;  /* a message of this request crossed to/from a peer */
};
#define GK_DATA 1
#define GK_ZERO 2
#define GK_UPGRADE 3

struct waiter {
	uint64_t token;
	int32_t next;
	bool write;
};

/* Home side: a page with a running transaction and/or queued requests. */
struct htxn {
	uint64_t page;
	uint32_t rid;         /* running transaction */
	int32_t qhead, qtail; /* queued requests (struct hreq) */
	int32_t next_free;
	uint8_t active; /* a transaction runs */
	uint8_t req;    /* its requester */
	uint8_t excl;   /* it grants exclusive */
};

struct hreq {
	uint32_t rid;
	int32_t next;
	uint8_t from;
	uint8_t write;
};

struct dsm_pin {
	uint64_t page;
	uint64_t until_ns; /* the pin ends */
	uint64_t hold_ns;  /* no new transaction on the page before this */
	bool used;
};

struct dsm_proto {
	unsigned self, n;
	uint64_t nr_pages;
	const struct dsm_proto_ops *ops;
	void *ctx;
	struct dsm_policy pol;
	struct dsm_page *pages;
	struct dsm_counters c;
	uint64_t now_ns;
	uint32_t next_rid;
	uint64_t rid_key; /* 0: sequential rids */
	enum dsm_reject last_rej;
	bool waking_remote; /* during ops->wake: the woken fault's transaction */
	int err;            /* first action error of the current event */

	uint32_t tx_seq[DSM_MAX_NODES];
	uint32_t rx_hi[DSM_MAX_NODES];
	uint64_t rx_win[DSM_MAX_NODES];

	struct pend *pend;
	unsigned pend_cap;
	int32_t pend_free;
	struct idmap pend_map;
	struct waiter *wt;
	unsigned wt_cap;
	int32_t wt_free;

	struct htxn *tx;
	unsigned tx_cap;
	int32_t tx_free;
	struct idmap tx_map;
	struct hreq *hq;
	unsigned hq_cap;
	int32_t hq_free;

	struct dsm_pin *pins;
	unsigned pend_used, tx_used;

	/* directory: pages homed here by home_of(), and pages whose home
	 * moved here (pool, found through pool_map) */
	struct dsm_dir *dir_static;
	struct dir_range *ranges;
	unsigned nr_ranges;
	struct dsm_dir *pool;
	uint64_t *pool_page; /* UINT64_MAX: free */
	unsigned pool_cap, pool_used;
	int32_t pool_free; /* free entries chained through copyset */
	struct idmap pool_map;

	struct dsm_msg *loop; /* messages to self, FIFO */
	unsigned loop_head, loop_len, loop_cap;

	uint8_t *zero_page;
};

static inline enum dsm_page_state pg_state(const struct dsm_proto *p, uint64_t page)
{
	return (enum dsm_page_state)(p->pages[page].st & PS_STATE);
}

static inline uint64_t node_bit(unsigned n)
{
	return 1ull << n;
}

/* idmap */
int idmap_init(struct idmap *m, unsigned cap);
void idmap_free(struct idmap *m);
int32_t idmap_get(const struct idmap *m, uint64_t key);
void idmap_put(struct idmap *m, uint64_t key, int32_t val);
void idmap_del(struct idmap *m, uint64_t key);

/* dsm/proto_dir.c: directory store */
int dir_init(struct dsm_proto *p, const struct dsm_proto_params *prm);
void dir_fini(struct dsm_proto *p);
/* The entry of a page homed here (PF_HOME), else NULL. */
struct dsm_dir *dir_of(struct dsm_proto *p, uint64_t page);
/* The entry for a page whose home moves here (NULL: out of memory). */
struct dsm_dir *dir_add(struct dsm_proto *p, uint64_t page);
/* The home moved away: give back the entry (pool pages only). */
void dir_release(struct dsm_proto *p, uint64_t page);
size_t dir_mem_bytes(const struct dsm_proto *p);

/* dsm/proto_setup.c: the next request id (see dsm_proto_params.rid_key) */
uint32_t proto_new_rid(struct dsm_proto *p);

/* dsm/proto.c: output helpers used by the home side */
void proto_emit(struct dsm_proto *p, unsigned to, struct dsm_msg *m, bool with_page);
void proto_note_err(struct dsm_proto *p, const char *what, uint64_t page, int r);
void proto_set_state(struct dsm_proto *p, uint64_t page, enum dsm_page_state s);
int proto_reject(struct dsm_proto *p, enum dsm_reject why, unsigned from, const struct dsm_msg *m);

/* dsm/proto_home.c: messages handled by the home (from already checked) */
int home_recv_req(struct dsm_proto *p, unsigned from, const struct dsm_msg *m);
int home_recv_done(struct dsm_proto *p, unsigned from, const struct dsm_msg *m);
int home_recv_move(struct dsm_proto *p, unsigned from, const struct dsm_msg *m);
void home_tick(struct dsm_proto *p);
int home_init(struct dsm_proto *p);
void home_fini(struct dsm_proto *p);
bool home_idle(const struct dsm_proto *p);

/* dsm/policy.c: ping-pong guard (pin table of pol.max_pinned entries) */
/* Ownership of page moved between two nodes at its home: count the bounce;
 * pins the page (and returns true) when the threshold is crossed. */
bool pol_bounce(struct dsm_proto *p, uint64_t page);
/* The pin of a pinned page (PF_PINNED set), or NULL. */
struct dsm_pin *pol_pin_of(struct dsm_proto *p, uint64_t page);
void pol_unpin(struct dsm_proto *p, struct dsm_pin *pin);

#endif
