/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * transport/internal.h — state shared by the files of transport/ (not for
 * users of the transport). Everything here runs on the transport's one thread.
 */
#ifndef SSIVM_TRANSPORT_INTERNAL_H
#define SSIVM_TRANSPORT_INTERNAL_H

#include <stdarg.h>
#include <ucp/api/ucp.h>

#include "transport/rdv_inbox.h"
#include "transport/transport.h"
#include "transport/wire.h"

#define TP_AM_ID 0x55         /* the one UCX active message id of the transport */
#define TP_MAX_IN_FLIGHT 1024 /* sends awaiting completion before transport_send waits */
#define TP_SEND_WAIT_MS 100   /* longest wait for send completions (then -EAGAIN) */
#define TP_CLOSE_WAIT_MS 1000 /* longest flush at transport_close */
#define TP_BYE_GRACE_MS 500   /* wait for the UCX goodbye after the side socket's */

enum tp_peer_state { TP_PEER_UP, TP_PEER_GOING_DOWN, TP_PEER_DOWN };

struct tp_peer {
	struct transport *t;
	uint32_t id;
	enum tp_peer_state state;
	ucp_ep_h ep;
	int fd; /* rendezvous side socket, -1 once closed */
	uint64_t tx_seq;
	unsigned in_flight; /* sends to this peer awaiting completion */
	struct wire_rx rx;
	uint64_t last_rx_ms, last_tx_ms, last_miss_ms;
	uint64_t bye_ms; /* when its side socket said goodbye, 0: not yet */
	char why[160];
	char who[RDV_WHO_LEN]; /* its side socket's address, "ip:port" */
};

/* A message accepted by the receive callback, waiting for delivery. */
struct tp_rxent {
	uint32_t from;
	void *ucx_data; /* UCX descriptor to release, or NULL */
	void *own;      /* our copy to free, or NULL */
	struct wire_msg m;
};

struct tp_sendbuf {
	struct tp_sendbuf *next; /* free list */
	struct tp_sendbuf *all;  /* every buffer ever allocated */
	struct transport *t;
	struct tp_peer *pe;
	uint8_t data[WIRE_MAX_SIZE];
};

struct transport {
	struct transport_params p; /* addrs not kept */
	ucp_context_h ctx;
	ucp_worker_h worker;
	ucp_address_t *local_addr;
	size_t local_len;
	int epfd, ucx_fd, timer_fd;
	struct tp_peer *peers;
	struct tp_rxent *rxq;
	unsigned rxq_cap, rxq_head, rxq_len;
	struct tp_sendbuf *free_bufs, *all_bufs;
	unsigned in_flight; /* sends to live peers awaiting completion */
	unsigned pending_down;
	unsigned tick_ms;
	uint64_t next_tick_ms, last_tick_ms;
	struct transport_stats st;
	struct wire_ratelimit rl;
	/* The rendezvous port, open for the transport's lifetime: a late or
	 * duplicate node is told why it cannot join (NULL before the rendezvous). */
	struct rdv_inbox *ib;
	const char *tls_used; /* for logs */
	/* UCX reports peer failures (UCP_ERR_HANDLING_MODE_PEER). Not over shared
	 * memory: UCX 1.13 has no peer failure handler there; side sockets and
	 * heartbeats detect dead peers in every mode. */
	int peer_err_mode;
};

/* epoll data of the transport's own fds (peers use their node id) */
#define EV_UCX 0xffff0000u
#define EV_TIMER 0xffff0001u
#define EV_LISTEN 0xffff0002u

/* datapath.c */
int tp_send_heartbeat(struct transport *t, struct tp_peer *pe);
void tp_log_reject(struct transport *t, uint32_t from, unsigned reason, size_t n);
/* liveness.c */
void tp_tick(struct transport *t, uint64_t now);
int tp_report_downs(struct transport *t);
void tp_mark_down(struct tp_peer *pe, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tp_ep_error(void *arg, ucp_ep_h ep, ucs_status_t status);
ucs_status_t tp_am_recv(void *arg, const void *header, size_t header_length, void *data,
			size_t length, const ucp_am_recv_param_t *param);
int tp_register_fds(struct transport *t);
/* Serve the rendezvous port: every hello that arrives now is refused. */
void tp_serve_inbox(struct transport *t);
/* Queue the UCX-level goodbye to a live peer (ordered after all data sent to it). */
int tp_send_bye(struct transport *t, struct tp_peer *pe);
void tp_drop_queue(struct transport *t);
/* Progress UCX and liveness without calling any user callback (used while opening). */
void tp_progress_quiet(struct transport *t);
/* ucx.c: free everything; say_bye: tell live peers we leave. */
void tp_close(struct transport *t, int say_bye);

#endif
