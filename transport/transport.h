/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * transport/transport.h — the one interface every message between ssivm
 * nodes goes through.
 *
 * A transport connects N nodes (ids 0..nr_nodes-1), every pair, and carries
 * control messages of up to TRANSPORT_MAX_MSG bytes, each optionally followed
 * by one TRANSPORT_PAGE_SIZE page. The implementation is UCX active messages
 * (transport/ucx.c); the fabric (TCP, shared memory, RDMA verbs) is chosen by
 * the `tls` parameter and never changes this interface. Every message carries
 * a versioned wire header (transport/wire.h) that the receiver checks; a
 * malformed or unexpected message is rejected, counted per reason (see
 * struct transport_stats) and logged (rate-limited), never delivered.
 *
 * Threading: ONE thread calls every function of one transport, from
 * transport_open to transport_close (in ssivm: the DSM service thread).
 * Callbacks (on_msg, on_peer_down) run on that thread, from inside
 * transport_progress() only, never from transport_send(). The UCX worker runs
 * in UCS_THREAD_MODE_SINGLE. Several transports in one process are
 * independent of each other.
 *
 * Ordering and reliability: messages from one node to another are delivered
 * reliably and in the order they were sent, or the peer is declared down.
 *
 * Liveness: every node sends a heartbeat to every live peer each
 * heartbeat_ms; any message received from a peer counts as a sign of life. A
 * peer is declared down, exactly once, through on_peer_down with a reason
 * that names it ("node 2: no heartbeat for 1500 ms", "node 1: connection
 * reset", "node 3: closed its transport"), when it is silent for more than
 * peer_timeout_ms, when its connection breaks (process killed, host gone) or
 * when it closes its transport. A down peer stays down: later sends to it
 * fail with -ENOTCONN and anything still arriving from it is dropped. No call
 * of this interface waits without bound.
 */
#ifndef SSIVM_TRANSPORT_TRANSPORT_H
#define SSIVM_TRANSPORT_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

/* Largest control message, in bytes (the page, if any, is not counted). */
#define TRANSPORT_MAX_MSG 1024u
/* Size of the one page that may follow a control message. */
#define TRANSPORT_PAGE_SIZE 4096u
/* Largest cluster one transport connects. */
#define TRANSPORT_MAX_NODES 64u

struct transport;

struct transport_params {
	/* This node's id, < nr_nodes. */
	uint32_t self;
	/* Number of nodes, 1..TRANSPORT_MAX_NODES (1: no peers, a valid no-op cluster). */
	uint32_t nr_nodes;
	/* "ip:port" (IPv4 dotted quad or hostname; "[v6]:port" for IPv6) of every
	 * node, index = node id. Used for the rendezvous side socket: this node
	 * listens on addrs[self] during transport_open and connects to the others.
	 * The strings are read during transport_open only. */
	const char *const *addrs;
	/* Which fabric UCX uses:
	 *   "tcp"  TCP sockets (UCX_TLS=tcp). The network interface is the one
	 *          that holds the address of addrs[self] unless $UCX_NET_DEVICES
	 *          says otherwise.
	 *   "shm"  shared memory between processes of one host (posix, sysv, cma).
	 *   "auto" or NULL: $UCX_TLS if set; else shared memory when every address
	 *          names this host's loopback (all nodes on one host); else UCX's
	 *          own choice (RDMA verbs rc/dc where a device exists, else TCP).
	 * Every node of a cluster must use the same setting (checked at rendezvous). */
	const char *tls;
	/* A message from node `from` (never self): `msg`, `len` bytes (1..TRANSPORT_MAX_MSG),
	 * followed by `page` (TRANSPORT_PAGE_SIZE bytes, at least 8-byte aligned) or
	 * NULL when the sender attached none. Both pointers are valid during the
	 * call only: copy what must outlive it. Called on the transport's thread,
	 * from transport_progress(); may call transport_send() (not
	 * transport_progress() nor transport_close()). Required. */
	void (*on_msg)(void *arg, uint32_t from, const void *msg, size_t len, const void *page);
	/* Node `node` is down; `why` is a human-readable reason naming the node,
	 * valid during the call only. Called once per node, from
	 * transport_progress(), on the transport's thread. May be NULL. */
	void (*on_peer_down)(void *arg, uint32_t node, const char *why);
	/* Passed to both callbacks. */
	void *arg;
	/* Heartbeat period (0: 250 ms) and silence after which a peer is declared
	 * down (0: 1500 ms; raised to at least 3 * heartbeat_ms). */
	unsigned heartbeat_ms, peer_timeout_ms;
	/* How long transport_open waits for every node to show up (0: 30000 ms). */
	unsigned connect_timeout_ms;
};

/*
 * Why a message from a peer was rejected. Counted per reason in
 * transport_stats.rejected[]; transport_reject_name() gives the text.
 */
enum transport_reject {
	TRANSPORT_REJ_TRUNCATED = 0, /* shorter than a wire header */
	TRANSPORT_REJ_MAGIC,         /* bad magic number */
	TRANSPORT_REJ_VERSION,       /* wire version we do not speak */
	TRANSPORT_REJ_TYPE,          /* unknown message type */
	TRANSPORT_REJ_FLAGS,         /* unknown flag bits or non-zero reserved field */
	TRANSPORT_REJ_LENGTH,        /* header's lengths disagree with the bytes received */
	TRANSPORT_REJ_OVERSIZE,      /* control message longer than TRANSPORT_MAX_MSG, or empty */
	TRANSPORT_REJ_NO_PAGE,       /* page flag and page bytes disagree */
	TRANSPORT_REJ_SOURCE,        /* source node differs from the connection it came on */
	TRANSPORT_REJ_DEST,          /* addressed to another node */
	TRANSPORT_REJ_SEQUENCE,      /* sequence number already seen (replay/duplicate) */
	TRANSPORT_REJ_PEER_DOWN,     /* arrived from a node already declared down */
	TRANSPORT_REJ_UNEXPECTED,    /* well-formed but not valid now (e.g. rendezvous data) */
	TRANSPORT_REJ_NR
};

/* Text for a reject reason ("bad magic", ...); never NULL. */
const char *transport_reject_name(unsigned reason);

/*
 * Why a connection to the rendezvous port was refused (transport_open, and
 * afterwards: the port stays open so that a late or duplicate node is told
 * why it cannot join). Counted per reason in transport_stats.hello_rejected[];
 * transport_hello_reject_name() gives the text. See docs/transport.md.
 */
enum transport_hello_reject {
	TRANSPORT_HELLO_REJ_JUNK = 0,  /* not a hello at all (bad magic) */
	TRANSPORT_HELLO_REJ_MALFORMED, /* unknown frame type, reserved bits, field out of range */
	TRANSPORT_HELLO_REJ_CHECKSUM,  /* checksum does not match (corrupt or truncated) */
	TRANSPORT_HELLO_REJ_VERSION,   /* another rendezvous version */
	TRANSPORT_HELLO_REJ_CLUSTER,   /* another cluster size */
	TRANSPORT_HELLO_REJ_TLS,       /* another tls setting */
	TRANSPORT_HELLO_REJ_NODE,      /* node ids that do not fit this connection */
	TRANSPORT_HELLO_REJ_ADDRESS,   /* UCX worker address: bad length or unknown format */
	TRANSPORT_HELLO_REJ_SOURCE,    /* came from another IP than the node it claims */
	TRANSPORT_HELLO_REJ_DUPLICATE, /* claims a node that is already connected */
	TRANSPORT_HELLO_REJ_LATE,      /* claims a node already declared down */
	TRANSPORT_HELLO_REJ_TIMEOUT,   /* no complete hello within the per-connection limit */
	TRANSPORT_HELLO_REJ_CLOSED,    /* closed before a complete hello */
	TRANSPORT_HELLO_REJ_OVERFLOW,  /* too many connections waiting: the oldest dropped */
	TRANSPORT_HELLO_REJ_NR
};

/* Text for a hello reject reason ("checksum mismatch", ...); never NULL. */
const char *transport_hello_reject_name(unsigned reason);

/* Counters since transport_open. Message counts exclude heartbeats; bytes
 * count control messages plus pages (not wire headers). */
struct transport_stats {
	uint64_t msgs_sent, msgs_recv;
	uint64_t bytes_sent, bytes_recv;
	uint64_t pages_sent, pages_recv;
	uint64_t heartbeats_sent, heartbeats_recv;
	/* Heartbeat periods in which a live peer was silent for more than two periods. */
	uint64_t heartbeats_missed;
	uint64_t peers_down;
	uint64_t send_errors; /* sends that failed after being accepted (completion error) */
	uint64_t rejected_total;
	uint64_t rejected[TRANSPORT_REJ_NR];
	/* Connections to the rendezvous port refused (during and after transport_open). */
	uint64_t hellos_rejected;
	uint64_t hello_rejected[TRANSPORT_HELLO_REJ_NR];
};

/*
 * Rendezvous with every other node and connect every pair: exchange UCX
 * worker addresses over a TCP side socket (listen on addrs[self], connect to
 * the nodes with a smaller id from addrs[self]'s IP, accept those with a
 * larger id), create the UCX endpoints, then wait until every node reports
 * ready. Blocks for at most connect_timeout_ms. Every hello is checked before
 * UCX sees its address; one that is junk, forged or from a node configured
 * differently is refused, counted (hello_rejected[]) and logged with the
 * connection's IP:port, and the node keeps waiting for the real peer. On
 * success *out is the transport and 0 is returned. Errors: -EINVAL (bad
 * parameters, logged), -ETIMEDOUT (a node did not show up in time: the
 * message names it, its address and what was refused in its name), -EPROTO (a
 * node we connected to refused us or answered with a hello of another
 * configuration -- version, cluster size, tls setting, node id -- or, at the
 * deadline, a missing node had sent such a hello), -EADDRINUSE and other
 * -errno from sockets, -EIO (UCX failed; its status is logged). The side
 * sockets stay open to detect dead peers quickly, and the rendezvous port
 * stays open to refuse (and count) late or duplicate claims of a node.
 */
int transport_open(const struct transport_params *p, struct transport **out);

/*
 * Send a control message of `len` bytes (1..TRANSPORT_MAX_MSG) to node `to`
 * (!= self), followed by one TRANSPORT_PAGE_SIZE page when `page` is not NULL.
 * Non-blocking from the caller's view: msg and page are copied before return
 * (the caller may reuse its buffers at once); completion is tracked
 * internally. Returns 0 when the message is on its way; -ENOTCONN when the
 * peer is down; -EINVAL for a bad node id or length; -EAGAIN when too many
 * sends are still in flight after a wait of at most 100 ms (call transport_progress and
 * retry); -EIO when UCX refused the send (logged). Never calls a callback.
 */
int transport_send(struct transport *t, uint32_t to, const void *msg, size_t len, const void *page);

/*
 * Drive the transport: progress UCX, deliver the messages received (through
 * on_msg, in arrival order), send heartbeats and check timeouts, report peers
 * that went down (on_peer_down). Never blocks. Returns the number of events
 * handled (messages delivered + peers reported; 0 when idle) or -errno on a
 * local failure of the transport itself (peers going down is not an error).
 * Cheap when idle: meant to be busy-polled.
 */
int transport_progress(struct transport *t);

/*
 * Adaptive blocking. transport_event_fd() returns a file descriptor (owned by
 * the transport, valid until transport_close) that becomes readable when the
 * transport has work: add it to your epoll set (EPOLLIN) next to your own fds.
 * Pattern:
 *     for (;;) {
 *             busy-poll transport_progress() (and your own work) for a while;
 *             if (transport_arm(t) == -EAGAIN)
 *                     continue;            // events pending: poll again
 *             epoll_wait(your_epfd, ...);  // sleep; the fd wakes you
 *     }
 * transport_arm() returns 0 when it is safe to sleep, -EAGAIN when events are
 * pending (do not sleep), another -errno on failure. The fd also wakes the
 * caller for heartbeats (every heartbeat_ms), so timeouts are checked while
 * idle; after any wake-up call transport_progress().
 */
int transport_event_fd(struct transport *t);
int transport_arm(struct transport *t);

/* Copy the counters into *s. */
void transport_get_stats(struct transport *t, struct transport_stats *s);

/* 1 when node is live (connected and not declared down), 0 otherwise (self: 1). */
int transport_peer_alive(struct transport *t, uint32_t node);

/*
 * Why node was declared down ("node 2: no heartbeat for 5012 ms"), or NULL
 * while it is live (or for self, or a bad id). The text stays valid until
 * transport_close(). Set as soon as the transport declares the peer down,
 * which can be before on_peer_down reports it: a send to that peer then fails
 * with -ENOTCONN, and this says why.
 */
const char *transport_peer_down_reason(struct transport *t, uint32_t node);

/*
 * Tell the peers this node leaves (they report "node N: closed its
 * transport"), flush what is in flight (bounded: at most ~1 s), close the
 * connections and free everything. t may be NULL. No callback is called.
 */
void transport_close(struct transport *t);

/*
 * Free everything without a goodbye, as a node does that failed: its peers
 * see the connections end as when a process dies ("closed without
 * goodbye"), not a clean leave. t may be NULL. No callback is called.
 */
void transport_abandon(struct transport *t);

#endif
