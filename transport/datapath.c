// SPDX-License-Identifier: GPL-2.0-only
/*
 * transport/datapath.c — send, receive, progress and adaptive blocking
 * (liveness is in transport/liveness.c).
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
#include "transport/transport_testing.h"

/* ---- send buffers ---- */

static struct tp_sendbuf *buf_get(struct transport *t)
{
	struct tp_sendbuf *b = t->free_bufs;

	if (b) {
		t->free_bufs = b->next;
		return b;
	}
	b = malloc(sizeof(*b));
	if (!b)
		return NULL;
	b->t = t;
	b->all = t->all_bufs;
	t->all_bufs = b;
	return b;
}

static void buf_put(struct transport *t, struct tp_sendbuf *b)
{
	b->next = t->free_bufs;
	t->free_bufs = b;
}

/* ---- send ---- */

static void send_done(void *req, ucs_status_t status, void *user_data)
{
	struct tp_sendbuf *b = user_data;
	struct transport *t = b->t;

	b->pe->in_flight--;
	if (b->pe->state == TP_PEER_UP)
		t->in_flight--;
	if (status != UCS_OK)
		t->st.send_errors++;
	buf_put(t, b);
	ucp_request_free(req);
}

static int wait_in_flight(struct transport *t)
{
	uint64_t deadline = rdv_now_ms() + TP_SEND_WAIT_MS;

	while (t->in_flight >= TP_MAX_IN_FLIGHT) {
		if (!ucp_worker_progress(t->worker) && rdv_now_ms() > deadline)
			return -EAGAIN;
	}
	return 0;
}

/* Hand n bytes of b to UCX for peer pe. b is owned by the transport again after the call. */
static int post(struct transport *t, struct tp_peer *pe, struct tp_sendbuf *b, size_t n)
{
	ucp_request_param_t prm = {
	    .op_attr_mask =
		UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA | UCP_OP_ATTR_FIELD_FLAGS,
	    .cb.send = send_done,
	    .user_data = b,
	    .flags = UCP_AM_SEND_FLAG_EAGER | UCP_AM_SEND_FLAG_REPLY,
	};
	ucs_status_ptr_t r = ucp_am_send_nbx(pe->ep, TP_AM_ID, NULL, 0, b->data, n, &prm);

	if (r == NULL) {
		buf_put(t, b);
	} else if (UCS_PTR_IS_ERR(r)) {
		ucs_status_t s = UCS_PTR_STATUS(r);

		buf_put(t, b);
		if (s == UCS_ERR_CONNECTION_RESET || s == UCS_ERR_ENDPOINT_TIMEOUT ||
		    s == UCS_ERR_UNREACHABLE || s == UCS_ERR_CANCELED) {
			tp_ep_error(pe, pe->ep, s);
			return -ENOTCONN;
		}
		pr_err("transport: send to node %u failed: %s", pe->id, ucs_status_string(s));
		return -EIO;
	} else {
		b->pe = pe;
		pe->in_flight++;
		t->in_flight++;
	}
	pe->last_tx_ms = rdv_now_ms();
	return 0;
}

static int send_checked(struct transport *t, uint32_t to, struct tp_peer **pep)
{
	if (!t || to >= t->p.nr_nodes || to == t->p.self)
		return -EINVAL;
	*pep = &t->peers[to];
	if ((*pep)->state != TP_PEER_UP)
		return -ENOTCONN;
	if (t->in_flight >= TP_MAX_IN_FLIGHT)
		return wait_in_flight(t);
	return 0;
}

int transport_send(struct transport *t, uint32_t to, const void *msg, size_t len, const void *page)
{
	struct tp_peer *pe;
	struct tp_sendbuf *b;
	size_t n;
	int rc;

	if (!msg || len == 0 || len > TRANSPORT_MAX_MSG)
		return -EINVAL;
	rc = send_checked(t, to, &pe);
	if (rc)
		return rc;
	b = buf_get(t);
	if (!b)
		return -ENOMEM;
	n = wire_encode(b->data, sizeof(b->data), WIRE_T_MSG, t->p.self, to, pe->tx_seq + 1, msg,
			len, page);
	pe->tx_seq++;
	rc = post(t, pe, b, n);
	if (rc)
		return rc;
	t->st.msgs_sent++;
	t->st.bytes_sent += len + (page ? TRANSPORT_PAGE_SIZE : 0);
	if (page)
		t->st.pages_sent++;
	return 0;
}

int transport_send_raw(struct transport *t, uint32_t to, const void *buf, size_t len)
{
	struct tp_peer *pe;
	struct tp_sendbuf *b;
	int rc;

	if (len > WIRE_MAX_SIZE || (len && !buf))
		return -EINVAL;
	rc = send_checked(t, to, &pe);
	if (rc)
		return rc;
	b = buf_get(t);
	if (!b)
		return -ENOMEM;
	if (len)
		memcpy(b->data, buf, len);
	return post(t, pe, b, len);
}

uint64_t transport_next_seq(struct transport *t, uint32_t to)
{
	if (!t || to >= t->p.nr_nodes)
		return 0;
	return t->peers[to].tx_seq + 1;
}

void transport_skip_seq(struct transport *t, uint32_t to)
{
	if (t && to < t->p.nr_nodes)
		t->peers[to].tx_seq++;
}

int tp_send_heartbeat(struct transport *t, struct tp_peer *pe)
{
	struct tp_sendbuf *b = buf_get(t);
	size_t n;

	if (!b)
		return -ENOMEM;
	n = wire_encode(b->data, sizeof(b->data), WIRE_T_HEARTBEAT, t->p.self, pe->id,
			pe->tx_seq + 1, NULL, 0, NULL);
	pe->tx_seq++;
	t->st.heartbeats_sent++;
	return post(t, pe, b, n);
}

int tp_send_bye(struct transport *t, struct tp_peer *pe)
{
	struct tp_sendbuf *b = buf_get(t);
	size_t n;

	if (!b)
		return -ENOMEM;
	n = wire_encode(b->data, sizeof(b->data), WIRE_T_BYE, t->p.self, pe->id, pe->tx_seq + 1,
			NULL, 0, NULL);
	pe->tx_seq++;
	return post(t, pe, b, n);
}

/* ---- receive ---- */

void tp_log_reject(struct transport *t, uint32_t from, unsigned reason, size_t n)
{
	char who[32];

	if (!wire_ratelimit(&t->rl, rdv_now_ms()))
		return;
	if (from == WIRE_SRC_ANY)
		snprintf(who, sizeof(who), "an unknown connection");
	else
		snprintf(who, sizeof(who), "node %u", from);
	pr_warn("transport: rejected a %zu-byte message from %s: %s (%" PRIu64
		" rejected so far, %" PRIu64 " log lines suppressed)",
		n, who, transport_reject_name(reason), t->st.rejected_total, t->rl.suppressed);
}

static struct tp_peer *peer_of_ep(struct transport *t, ucp_ep_h ep)
{
	for (uint32_t i = 0; i < t->p.nr_nodes; i++)
		if (t->peers[i].ep == ep && ep)
			return &t->peers[i];
	return NULL;
}

static int rxq_push(struct transport *t, const struct tp_rxent *e)
{
	if (t->rxq_len == t->rxq_cap) {
		unsigned cap = t->rxq_cap ? 2 * t->rxq_cap : 64;
		struct tp_rxent *q = malloc(cap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		for (unsigned i = 0; i < t->rxq_len; i++)
			q[i] = t->rxq[(t->rxq_head + i) % t->rxq_cap];
		free(t->rxq);
		t->rxq = q;
		t->rxq_cap = cap;
		t->rxq_head = 0;
	}
	t->rxq[(t->rxq_head + t->rxq_len) % t->rxq_cap] = *e;
	t->rxq_len++;
	return 0;
}

ucs_status_t tp_am_recv(void *arg, const void *header, size_t header_length, void *data,
			size_t length, const ucp_am_recv_param_t *param)
{
	struct transport *t = arg;
	struct tp_peer *pe = NULL;
	struct tp_rxent e = {0};
	unsigned reason;

	if (param->recv_attr & UCP_AM_RECV_ATTR_FIELD_REPLY_EP)
		pe = peer_of_ep(t, param->reply_ep);
	if (!pe) {
		wire_count_reject(&t->st, TRANSPORT_REJ_SOURCE);
		tp_log_reject(t, WIRE_SRC_ANY, TRANSPORT_REJ_SOURCE, length);
		return UCS_OK;
	}
	if (header_length || (param->recv_attr & UCP_AM_RECV_ATTR_FLAG_RNDV)) {
		wire_count_reject(&t->st, TRANSPORT_REJ_UNEXPECTED);
		tp_log_reject(t, pe->id, TRANSPORT_REJ_UNEXPECTED, length);
		return UCS_OK;
	}
	if (pe->state != TP_PEER_UP) {
		wire_count_reject(&t->st, TRANSPORT_REJ_PEER_DOWN);
		return UCS_OK;
	}
	if (wire_rx_accept(&pe->rx, t->p.self, t->p.nr_nodes, &t->st, data, length, &e.m,
			   &reason)) {
		tp_log_reject(t, pe->id, reason, length);
		return UCS_OK;
	}
	pe->last_rx_ms = rdv_now_ms();
	if (e.m.type == WIRE_T_HEARTBEAT)
		return UCS_OK;
	if (e.m.type == WIRE_T_BYE) {
		tp_mark_down(pe, "node %u: closed its transport", pe->id);
		return UCS_OK;
	}
	e.from = pe->id;
	if ((param->recv_attr & UCP_AM_RECV_ATTR_FLAG_DATA) && !((uintptr_t)data & 7)) {
		e.ucx_data = data;
	} else {
		e.own = malloc(length);
		if (!e.own)
			goto oom;
		memcpy(e.own, data, length);
		e.m.page = e.m.page ? (uint8_t *)e.own + WIRE_HDR_SIZE : NULL;
		e.m.msg = (uint8_t *)e.own + (length - e.m.len);
	}
	if (rxq_push(t, &e)) {
		free(e.own);
		goto oom;
	}
	return e.ucx_data ? UCS_INPROGRESS : UCS_OK;
oom:
	pr_err("transport: out of memory queueing a message from node %u", pe->id);
	tp_mark_down(pe, "node %u: message lost (out of memory on node %u)", pe->id, t->p.self);
	return UCS_OK;
}

static void rxent_release(struct transport *t, struct tp_rxent *e)
{
	if (e->ucx_data)
		ucp_am_data_release(t->worker, e->ucx_data);
	free(e->own);
}

static int deliver(struct transport *t)
{
	int n = 0;

	while (t->rxq_len) {
		struct tp_rxent e = t->rxq[t->rxq_head];

		t->rxq_head = (t->rxq_head + 1) % t->rxq_cap;
		t->rxq_len--;
		t->p.on_msg(t->p.arg, e.from, e.m.msg, e.m.len, e.m.page);
		rxent_release(t, &e);
		n++;
	}
	return n;
}

void tp_drop_queue(struct transport *t)
{
	while (t->rxq_len) {
		rxent_release(t, &t->rxq[t->rxq_head]);
		t->rxq_head = (t->rxq_head + 1) % t->rxq_cap;
		t->rxq_len--;
	}
	free(t->rxq);
	t->rxq = NULL;
	t->rxq_cap = 0;
}

int transport_progress(struct transport *t)
{
	uint64_t now;
	int n;

	if (!t)
		return -EINVAL;
	for (int i = 0; i < 64 && ucp_worker_progress(t->worker); i++)
		;
	n = t->rxq_len ? deliver(t) : 0;
	now = rdv_now_ms();
	if (now >= t->next_tick_ms)
		tp_tick(t, now);
	if (t->pending_down)
		n += tp_report_downs(t);
	return n;
}

void tp_progress_quiet(struct transport *t)
{
	uint64_t now;

	for (int i = 0; i < 64 && ucp_worker_progress(t->worker); i++)
		;
	now = rdv_now_ms();
	if (now >= t->next_tick_ms)
		tp_tick(t, now);
}

int transport_event_fd(struct transport *t)
{
	return t ? t->epfd : -EINVAL;
}

int transport_arm(struct transport *t)
{
	ucs_status_t s;

	if (!t)
		return -EINVAL;
	if (t->rxq_len || t->pending_down)
		return -EAGAIN;
	tp_tick(t, rdv_now_ms());
	if (t->rxq_len || t->pending_down)
		return -EAGAIN;
	s = ucp_worker_arm(t->worker);
	if (s == UCS_ERR_BUSY)
		return -EAGAIN;
	if (s != UCS_OK) {
		pr_err("transport: cannot arm the UCX worker: %s", ucs_status_string(s));
		return -EIO;
	}
	return 0;
}

void transport_get_stats(struct transport *t, struct transport_stats *s)
{
	if (t && s)
		*s = t->st;
}

int transport_peer_alive(struct transport *t, uint32_t node)
{
	if (!t || node >= t->p.nr_nodes)
		return 0;
	return node == t->p.self || t->peers[node].state == TP_PEER_UP;
}

const char *transport_peer_down_reason(struct transport *t, uint32_t node)
{
	if (!t || node >= t->p.nr_nodes || node == t->p.self || t->peers[node].state == TP_PEER_UP)
		return NULL;
	return t->peers[node].why;
}
