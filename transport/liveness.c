// SPDX-License-Identifier: GPL-2.0-only
/*
 * transport/liveness.c — peers going down: heartbeats and timeouts, the side
 * sockets (goodbye, cut, EOF), UCX endpoint errors, and reporting each down
 * peer once. See "Liveness" in docs/transport.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "transport/internal.h"
#include "transport/rendezvous.h"

static void side_read(struct transport *t, struct tp_peer *pe, int may_progress);

/* ---- peers going down ---- */

void tp_mark_down(struct tp_peer *pe, const char *fmt, ...)
{
	struct transport *t = pe->t;
	va_list ap;

	if (pe->state != TP_PEER_UP)
		return;
	va_start(ap, fmt);
	vsnprintf(pe->why, sizeof(pe->why), fmt, ap);
	va_end(ap);
	pe->state = TP_PEER_GOING_DOWN;
	/* logged now: a send to this peer can fail with -ENOTCONN before the
	 * report reaches the user, and its caller may stop at once */
	pr_warn("transport: peer down: %s", pe->why);
	t->in_flight -= pe->in_flight;
	t->st.peers_down++;
	t->pending_down++;
	if (pe->fd >= 0) {
		uint8_t cut = RDV_CUT;

		/* tell it why the connection ends (it may still be alive) */
		if (send(pe->fd, &cut, 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			pr_debug("transport: node %u: could not send the cut byte", pe->id);
		epoll_ctl(t->epfd, EPOLL_CTL_DEL, pe->fd, NULL);
		close(pe->fd);
		pe->fd = -1;
	}
}

/* Close the endpoints of peers that went down and tell the user. */
int tp_report_downs(struct transport *t)
{
	int n = 0;

	for (uint32_t i = 0; i < t->p.nr_nodes && t->pending_down; i++) {
		struct tp_peer *pe = &t->peers[i];
		char why[sizeof(pe->why)];

		if (pe->state != TP_PEER_GOING_DOWN)
			continue;
		if (pe->ep && t->peer_err_mode) {
			ucp_request_param_t prm = {.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS,
						   .flags = UCP_EP_CLOSE_FLAG_FORCE};
			void *req = ucp_ep_close_nbx(pe->ep, &prm);

			if (req && !UCS_PTR_IS_ERR(req))
				ucp_request_free(req);
			pe->ep = NULL;
		}
		pe->state = TP_PEER_DOWN;
		t->pending_down--;
		memcpy(why, pe->why, sizeof(why));
		if (t->p.on_peer_down)
			t->p.on_peer_down(t->p.arg, i, why);
		n++;
	}
	return n;
}

void tp_ep_error(void *arg, ucp_ep_h ep, ucs_status_t status)
{
	struct tp_peer *pe = arg;

	/* A peer that said goodbye first is reported as such, not as an error. */
	if (pe->fd >= 0)
		side_read(pe->t, pe, 0); /* inside UCX progress: must not progress */
	if (pe->bye_ms)
		tp_mark_down(pe, "node %u: closed its transport", pe->id);
	else if (status == UCS_ERR_CONNECTION_RESET)
		tp_mark_down(pe, "node %u: connection reset", pe->id);
	else if (status == UCS_ERR_ENDPOINT_TIMEOUT)
		tp_mark_down(pe, "node %u: connection timed out", pe->id);
	else
		tp_mark_down(pe, "node %u: connection failed (%s)", pe->id,
			     ucs_status_string(status));
}

/* ---- liveness ---- */

/* Stop watching a peer's side socket. */
static void side_close(struct transport *t, struct tp_peer *pe)
{
	if (pe->fd >= 0) {
		epoll_ctl(t->epfd, EPOLL_CTL_DEL, pe->fd, NULL);
		close(pe->fd);
		pe->fd = -1;
	}
}

/*
 * Something on a peer's side socket. A goodbye byte ('B') means the peer
 * closes its transport: its UCX goodbye, sent after all its data, is on the
 * way; give it TP_BYE_GRACE_MS to arrive before declaring the peer down, so
 * that nothing the peer sent before closing is lost. EOF or an error without
 * a goodbye means the process died: down at once.
 */
static void side_read(struct transport *t, struct tp_peer *pe, int may_progress)
{
	uint8_t buf[64];
	ssize_t r = recv(pe->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	for (ssize_t i = 0; i < r; i++) {
		if (buf[i] == RDV_BYE) {
			if (!pe->bye_ms)
				pe->bye_ms = rdv_now_ms();
			continue;
		}
		if (buf[i] == RDV_CUT) {
			side_close(t, pe);
			tp_mark_down(pe, "node %u: declared node %u down and disconnected", pe->id,
				     t->p.self);
			return;
		}
		wire_count_reject(&t->st, TRANSPORT_REJ_UNEXPECTED);
		tp_log_reject(t, pe->id, TRANSPORT_REJ_UNEXPECTED, 1);
	}
	if (r > 0)
		return;
	side_close(t, pe);
	if (pe->bye_ms)
		return; /* the grace period runs in tick() */
	/* Deliver what the dead peer managed to send, then report it. */
	for (int i = 0; may_progress && i < 1000 && ucp_worker_progress(t->worker); i++)
		;
	if (r == 0)
		tp_mark_down(pe, "node %u: connection closed without goodbye (process gone?)",
			     pe->id);
	else if (errno == ECONNRESET)
		tp_mark_down(pe, "node %u: connection reset", pe->id);
	else
		tp_mark_down(pe, "node %u: connection lost (%s)", pe->id, strerror(errno));
}

/* Look at the side sockets and the timer without blocking. Returns events seen. */
static int housekeeping(struct transport *t)
{
	struct epoll_event ev[16];
	int n = epoll_wait(t->epfd, ev, 16, 0), seen = 0;

	for (int i = 0; i < n; i++) {
		uint32_t id = ev[i].data.u32;
		uint64_t exp;

		if (id == EV_LISTEN) {
			tp_serve_inbox(t);
		} else if (id == EV_TIMER) {
			if (read(t->timer_fd, &exp, sizeof(exp)) < 0) {
				/* nothing to read: fine */
			}
		} else if (id < t->p.nr_nodes && t->peers[id].fd >= 0) {
			side_read(t, &t->peers[id], 1);
			seen++;
		}
	}
	return seen;
}

void tp_tick(struct transport *t, uint64_t now)
{
	unsigned hb = t->p.heartbeat_ms, to = t->p.peer_timeout_ms;
	int stalled = now - t->last_tick_ms > to / 2;

	t->last_tick_ms = now;
	t->next_tick_ms = now + t->tick_ms;
	housekeeping(t);
	tp_serve_inbox(t);
	if (stalled) {
		/* We did not look for a long time: what is queued in UCX is
		 * fresher than our clocks say. Drain it before judging peers. */
		while (ucp_worker_progress(t->worker))
			;
	}
	for (uint32_t i = 0; i < t->p.nr_nodes; i++) {
		struct tp_peer *pe = &t->peers[i];
		uint64_t silent;

		if (i == t->p.self || pe->state != TP_PEER_UP)
			continue;
		if (stalled)
			pe->last_rx_ms = now;
		if (pe->bye_ms && now - pe->bye_ms >= TP_BYE_GRACE_MS) {
			tp_mark_down(pe, "node %u: closed its transport", i);
			continue;
		}
		silent = now - pe->last_rx_ms;
		if (silent > to) {
			tp_mark_down(pe, "node %u: no heartbeat for %" PRIu64 " ms", i, silent);
			continue;
		}
		if (silent > 2ull * hb && now - pe->last_miss_ms >= hb) {
			t->st.heartbeats_missed++;
			pe->last_miss_ms = now;
		}
		if (now - pe->last_tx_ms >= hb)
			tp_send_heartbeat(t, pe);
	}
}

int tp_register_fds(struct transport *t)
{
	struct epoll_event ev = {.events = EPOLLIN};

	ev.data.u32 = EV_UCX;
	if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->ucx_fd, &ev))
		return -errno;
	ev.data.u32 = EV_TIMER;
	if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->timer_fd, &ev))
		return -errno;
	if (t->ib && t->ib->lfd >= 0) {
		ev.data.u32 = EV_LISTEN;
		if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->ib->lfd, &ev))
			return -errno;
	}
	for (uint32_t i = 0; i < t->p.nr_nodes; i++) {
		if (t->peers[i].fd < 0)
			continue;
		ev.events = EPOLLIN | EPOLLRDHUP;
		ev.data.u32 = i;
		if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->peers[i].fd, &ev))
			return -errno;
	}
	return 0;
}

/* ---- the rendezvous port after the rendezvous ---- */

/* Every claim is refused: the cluster is formed and nodes cannot rejoin. */
static unsigned judge_late(void *arg, const struct rdv_frame *f, const char *who, char *why,
			   size_t len)
{
	struct transport *t = arg;
	const struct tp_peer *pe = &t->peers[f->src];

	if (pe->state == TP_PEER_UP) {
		snprintf(why, len,
			 "node %u is claimed by two processes: %s (in the cluster since it formed) "
			 "and %s",
			 f->src, pe->who, who);
		return TRANSPORT_HELLO_REJ_DUPLICATE;
	}
	snprintf(why, len, "node %u is down (%s); a node cannot rejoin a running cluster", f->src,
		 pe->why);
	return TRANSPORT_HELLO_REJ_LATE;
}

void tp_serve_inbox(struct transport *t)
{
	struct rdv_taken tk;

	if (!t->ib || (t->ib->lfd < 0 && !t->ib->n))
		return;
	while (rdv_inbox_run(t->ib, rdv_now_ms(), judge_late, t, &tk) == 1) {
		close(tk.fd); /* judge_late takes nothing; never reached */
		free(tk.addr);
	}
}
