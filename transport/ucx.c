// SPDX-License-Identifier: GPL-2.0-only
/*
 * transport/ucx.c — opening and closing a transport: UCX context and worker,
 * fabric selection, rendezvous, endpoints, and the UCX-level handshake.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "common/log.h"
#include "transport/internal.h"
#include "transport/rendezvous.h"

enum { TLS_AUTO, TLS_TCP, TLS_SHM };

#define TLS_SHM_LIST "posix,sysv,cma"
/* Formats of a UCX worker address that UCX can unpack: its ucp_object_version_t
 * V1 and V2 (src/ucp/core/ucp_types.h from 1.13 to today; not in the public
 * headers). The rendezvous refuses others before ucp_ep_create sees them. */
#define TP_UCX_ADDR_FORMATS 2u

static int parse_tls(const char *s)
{
	if (!s || !strcmp(s, "auto"))
		return TLS_AUTO;
	if (!strcmp(s, "tcp"))
		return TLS_TCP;
	if (!strcmp(s, "shm"))
		return TLS_SHM;
	return -1;
}

static int same_ip(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->sa_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr,
			       sizeof(struct in6_addr));
	return 0;
}

/* Name of the local interface holding the IP of sa, into name (IF_NAMESIZE). */
static int local_ifname(const struct sockaddr *sa, char *name)
{
	struct ifaddrs *ifs, *i;
	int found = 0;

	if (getifaddrs(&ifs))
		return 0;
	for (i = ifs; i && !found; i = i->ifa_next) {
		if (i->ifa_addr && same_ip(i->ifa_addr, sa)) {
			snprintf(name, IF_NAMESIZE, "%s", i->ifa_name);
			found = 1;
		}
	}
	freeifaddrs(ifs);
	return found;
}

/* 1 when every node's address is the same IP and that IP is on this host. */
static int all_on_this_host(const struct transport_params *p)
{
	struct sockaddr_storage first, ss;
	unsigned len;
	char name[IF_NAMESIZE];

	if (rdv_parse_addr(p->addrs[0], &first, &len))
		return 0;
	for (uint32_t i = 1; i < p->nr_nodes; i++)
		if (rdv_parse_addr(p->addrs[i], &ss, &len) ||
		    !same_ip((struct sockaddr *)&first, (struct sockaddr *)&ss))
			return 0;
	return local_ifname((struct sockaddr *)&first, name);
}

/* 1 when a UCX_TLS list names a network transport (UCX reports peer failures there). */
static int has_network_tl(const char *list)
{
	static const char *const net[] = {"tcp", "rc", "dc", "ud", "ib", "all", "^"};
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		for (size_t i = 0; i < sizeof(net) / sizeof(net[0]); i++)
			if (!strncmp(tok, net[i], strlen(net[i])))
				return 1;
	return 0;
}

/* Which UCX_TLS list to use; returns 1 when UCX can report peer failures there. */
static int choose_tls(const struct transport_params *p, int mode, const char **used)
{
	const char *env_tls = getenv("UCX_TLS");
	const char *tls = NULL;

	if (mode == TLS_TCP)
		tls = "tcp";
	else if (mode == TLS_SHM)
		tls = TLS_SHM_LIST;
	else if (!env_tls && p->nr_nodes > 1 && all_on_this_host(p))
		tls = TLS_SHM_LIST;
	*used = tls ? tls : env_tls ? env_tls : "UCX default";
	return !tls && !env_tls ? 1 : has_network_tl(*used);
}

/* UCX settings for the fabric. Returns 0 or -EINVAL. */
static int config_ucx(const struct transport_params *p, int mode, ucp_config_t *cfg,
		      const char *tls)
{
	ucs_status_t s;

	/* An explicit tcp/shm wins over $UCX_TLS; auto leaves $UCX_TLS alone. */
	if ((mode != TLS_AUTO || !getenv("UCX_TLS")) && strcmp(tls, "UCX default")) {
		s = ucp_config_modify(cfg, "TLS", tls);
		if (s != UCS_OK) {
			pr_err("transport: UCX rejects TLS=%s: %s", tls, ucs_status_string(s));
			return -EINVAL;
		}
	}
	if (mode == TLS_TCP && !getenv("UCX_NET_DEVICES")) {
		struct sockaddr_storage ss;
		unsigned len;
		char name[IF_NAMESIZE];

		if (!rdv_parse_addr(p->addrs[p->self], &ss, &len) &&
		    local_ifname((struct sockaddr *)&ss, name)) {
			s = ucp_config_modify(cfg, "NET_DEVICES", name);
			if (s != UCS_OK)
				pr_warn("transport: UCX rejects NET_DEVICES=%s: %s", name,
					ucs_status_string(s));
			else
				pr_debug("transport: TCP over interface %s", name);
		}
	}
	return 0;
}

static int check_params(const struct transport_params *p, int mode)
{
	if (!p || !p->on_msg || !p->addrs || p->nr_nodes == 0 ||
	    p->nr_nodes > TRANSPORT_MAX_NODES || p->self >= p->nr_nodes) {
		pr_err("transport: bad parameters (need on_msg, addrs, 1 <= nr_nodes <= %u, "
		       "self < nr_nodes)",
		       TRANSPORT_MAX_NODES);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < p->nr_nodes; i++) {
		if (!p->addrs[i]) {
			pr_err("transport: no address for node %u", i);
			return -EINVAL;
		}
	}
	if (mode < 0) {
		pr_err("transport: unknown tls '%s' (expected tcp, shm or auto)", p->tls);
		return -EINVAL;
	}
	return 0;
}

static int ucx_init(struct transport *t, const struct transport_params *p, int mode)
{
	ucp_config_t *cfg;
	ucp_params_t cp = {
	    .field_mask = UCP_PARAM_FIELD_FEATURES | UCP_PARAM_FIELD_MT_WORKERS_SHARED,
	    .features = UCP_FEATURE_AM | UCP_FEATURE_WAKEUP,
	    .mt_workers_shared = 0,
	};
	ucp_worker_params_t wp = {
	    .field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE,
	    .thread_mode = UCS_THREAD_MODE_SINGLE,
	};
	ucp_am_handler_param_t ap = {
	    .field_mask = UCP_AM_HANDLER_PARAM_FIELD_ID | UCP_AM_HANDLER_PARAM_FIELD_CB |
			  UCP_AM_HANDLER_PARAM_FIELD_ARG | UCP_AM_HANDLER_PARAM_FIELD_FLAGS,
	    .id = TP_AM_ID,
	    .flags = UCP_AM_FLAG_WHOLE_MSG,
	    .cb = tp_am_recv,
	    .arg = t,
	};
	ucs_status_t s;
	int rc;

	s = ucp_config_read(NULL, NULL, &cfg);
	if (s != UCS_OK) {
		pr_err("transport: cannot read the UCX configuration: %s", ucs_status_string(s));
		return -EIO;
	}
	t->peer_err_mode = choose_tls(p, mode, &t->tls_used);
	rc = config_ucx(p, mode, cfg, t->tls_used);
	if (!rc) {
		s = ucp_init(&cp, cfg, &t->ctx);
		if (s != UCS_OK) {
			pr_err("transport: ucp_init failed (tls %s): %s", t->tls_used,
			       ucs_status_string(s));
			rc = -EIO;
		}
	}
	ucp_config_release(cfg);
	if (rc)
		return rc;
	s = ucp_worker_create(t->ctx, &wp, &t->worker);
	if (s == UCS_OK)
		s = ucp_worker_set_am_recv_handler(t->worker, &ap);
	if (s == UCS_OK)
		s = ucp_worker_get_efd(t->worker, &t->ucx_fd);
	if (s == UCS_OK)
		s = ucp_worker_get_address(t->worker, &t->local_addr, &t->local_len);
	if (s != UCS_OK) {
		pr_err("transport: cannot set up the UCX worker (tls %s): %s", t->tls_used,
		       ucs_status_string(s));
		return -EIO;
	}
	return 0;
}

static int create_eps(struct transport *t, struct rdv_peer *rp)
{
	for (uint32_t i = 0; i < t->p.nr_nodes; i++) {
		struct tp_peer *pe = &t->peers[i];
		ucp_ep_params_t ep = {
		    .field_mask = UCP_EP_PARAM_FIELD_REMOTE_ADDRESS |
				  UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE |
				  UCP_EP_PARAM_FIELD_ERR_HANDLER,
		    .address = rp[i].addr,
		    .err_mode =
			t->peer_err_mode ? UCP_ERR_HANDLING_MODE_PEER : UCP_ERR_HANDLING_MODE_NONE,
		    .err_handler = {.cb = tp_ep_error, .arg = pe},
		};
		ucs_status_t s;

		if (i == t->p.self)
			continue;
		s = ucp_ep_create(t->worker, &ep, &pe->ep);
		if (s != UCS_OK) {
			pr_err("transport: cannot create the UCX endpoint to node %u (tls %s): %s",
			       i, t->tls_used, ucs_status_string(s));
			return -EIO;
		}
	}
	return 0;
}

/* Every peer must be heard over UCX itself (not only the side socket). */
static int ucx_handshake(struct transport *t, uint64_t deadline, unsigned timeout_ms)
{
	uint32_t missing;

	for (uint32_t i = 0; i < t->p.nr_nodes; i++) {
		struct tp_peer *pe = &t->peers[i];

		if (i != t->p.self)
			pe->last_tx_ms = 0; /* force a heartbeat at the first tick */
	}
	t->next_tick_ms = 0;
	for (;;) {
		tp_progress_quiet(t);
		missing = 0;
		for (uint32_t i = 0; i < t->p.nr_nodes; i++) {
			if (i == t->p.self)
				continue;
			if (t->peers[i].state != TP_PEER_UP) {
				pr_err("transport: lost during rendezvous: %s", t->peers[i].why);
				return -ECONNRESET;
			}
			if (t->peers[i].rx.next_seq <= 1)
				missing++;
		}
		if (!missing)
			return 0;
		if (rdv_now_ms() >= deadline)
			break;
		usleep(200);
	}
	for (uint32_t i = 0; i < t->p.nr_nodes; i++)
		if (i != t->p.self && t->peers[i].rx.next_seq <= 1)
			pr_err(
			    "transport: node %u: nothing received over UCX (tls %s) within %u ms; "
			    "check UCX_TLS/UCX_NET_DEVICES",
			    i, t->tls_used, timeout_ms);
	return -ETIMEDOUT;
}

int transport_open(const struct transport_params *p, struct transport **out)
{
	int mode = p ? parse_tls(p->tls) : 0, rc;
	struct transport *t;
	struct rdv_peer *rp = NULL;
	struct rdv_params rdv;
	uint64_t now;

	rc = check_params(p, mode);
	if (rc)
		return rc;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->p = *p;
	t->p.addrs = NULL;
	t->epfd = t->ucx_fd = t->timer_fd = -1;
	if (!t->p.heartbeat_ms)
		t->p.heartbeat_ms = 250;
	if (!t->p.peer_timeout_ms)
		t->p.peer_timeout_ms = 1500;
	if (t->p.peer_timeout_ms < 3 * t->p.heartbeat_ms)
		t->p.peer_timeout_ms = 3 * t->p.heartbeat_ms;
	if (!t->p.connect_timeout_ms)
		t->p.connect_timeout_ms = 30000;
	t->tick_ms = t->p.heartbeat_ms / 2 < 50 ? t->p.heartbeat_ms / 2 : 50;
	if (!t->tick_ms)
		t->tick_ms = 1;
	t->rl = (struct wire_ratelimit){.period_ms = 1000, .burst = 10};
	t->peers = calloc(p->nr_nodes, sizeof(*t->peers));
	rp = calloc(p->nr_nodes, sizeof(*rp));
	if (!t->peers || !rp) {
		rc = -ENOMEM;
		goto fail;
	}
	for (uint32_t i = 0; i < p->nr_nodes; i++) {
		t->peers[i] = (struct tp_peer){.t = t, .id = i, .fd = -1, .rx = {.node = i}};
		if (i == p->self)
			t->peers[i].state = TP_PEER_DOWN;
	}
	rc = ucx_init(t, p, mode);
	if (rc)
		goto fail;
	rdv = (struct rdv_params){
	    .self = p->self,
	    .nr_nodes = p->nr_nodes,
	    .addrs = p->addrs,
	    .tls_mode = (uint8_t)mode,
	    .local_addr = t->local_addr,
	    .local_len = t->local_len,
	    .addr_formats = TP_UCX_ADDR_FORMATS,
	    .deadline_ms = rdv_now_ms() + t->p.connect_timeout_ms,
	    .timeout_ms = t->p.connect_timeout_ms,
	};
	t->ib = malloc(sizeof(*t->ib));
	if (!t->ib) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = rdv_connect_all(&rdv, rp, t->ib, &t->st);
	if (!rc)
		rc = create_eps(t, rp);
	if (!rc)
		rc = rdv_barrier(&rdv, rp);
	if (rc)
		goto fail;
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	t->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->epfd < 0 || t->timer_fd < 0) {
		rc = -errno;
		goto fail;
	}
	{
		struct itimerspec its = {
		    .it_interval = {.tv_sec = t->p.heartbeat_ms / 1000,
				    .tv_nsec = (long)(t->p.heartbeat_ms % 1000) * 1000000},
		};
		its.it_value = its.it_interval;
		timerfd_settime(t->timer_fd, 0, &its, NULL);
	}
	for (uint32_t i = 0; i < p->nr_nodes; i++) {
		t->peers[i].fd = rp[i].fd;
		rp[i].fd = -1;
		memcpy(t->peers[i].who, rp[i].who, sizeof(t->peers[i].who));
	}
	rc = tp_register_fds(t);
	if (rc)
		goto fail;
	now = rdv_now_ms();
	t->last_tick_ms = now;
	for (uint32_t i = 0; i < p->nr_nodes; i++) {
		t->peers[i].last_rx_ms = now;
		if (i != p->self)
			t->peers[i].state = TP_PEER_UP;
	}
	rc = ucx_handshake(t, rdv.deadline_ms, t->p.connect_timeout_ms);
	if (rc)
		goto fail;
	rdv_release(rp, p->nr_nodes);
	free(rp);
	pr_debug("transport: node %u of %u connected (tls %s)", p->self, p->nr_nodes, t->tls_used);
	*out = t;
	return 0;
fail:
	if (rp)
		rdv_release(rp, p->nr_nodes);
	free(rp);
	tp_close(t, 0);
	return rc;
}

void tp_close(struct transport *t, int say_bye)
{
	void *reqs[TRANSPORT_MAX_NODES];
	unsigned nreq = 0;
	uint64_t deadline;

	if (!t)
		return;
	/* Goodbye over UCX first: it is ordered after everything we sent. */
	for (uint32_t i = 0; say_bye && t->peers && i < t->p.nr_nodes; i++)
		if (t->peers[i].state == TP_PEER_UP && t->peers[i].ep)
			tp_send_bye(t, &t->peers[i]);
	for (uint32_t i = 0; t->peers && i < t->p.nr_nodes; i++) {
		struct tp_peer *pe = &t->peers[i];

		/* Every endpoint, also one to a peer that is gone: the worker does
		 * not free them. Force is for endpoints with peer error handling
		 * only; without it the flush is bounded by the wait below. */
		if (pe->ep) {
			int force = pe->state != TP_PEER_UP && t->peer_err_mode;
			ucp_request_param_t prm = {.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS,
						   .flags = force ? UCP_EP_CLOSE_FLAG_FORCE : 0};
			void *req = ucp_ep_close_nbx(pe->ep, &prm);

			if (req && !UCS_PTR_IS_ERR(req))
				reqs[nreq++] = req;
			pe->ep = NULL;
		}
	}
	deadline = rdv_now_ms() + TP_CLOSE_WAIT_MS;
	for (unsigned i = 0; i < nreq; i++) {
		while (ucp_request_check_status(reqs[i]) == UCS_INPROGRESS &&
		       rdv_now_ms() < deadline)
			ucp_worker_progress(t->worker);
		ucp_request_free(reqs[i]);
	}
	/* Then on the side socket, which also wakes a peer sleeping in epoll. */
	for (uint32_t i = 0; t->peers && i < t->p.nr_nodes; i++) {
		struct tp_peer *pe = &t->peers[i];
		uint8_t bye = RDV_BYE;

		if (pe->fd < 0)
			continue;
		if (say_bye && send(pe->fd, &bye, 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			pr_debug("transport: node %u: goodbye not sent", i);
		close(pe->fd);
		pe->fd = -1;
	}
	tp_drop_queue(t);
	if (t->worker) {
		if (t->local_addr)
			ucp_worker_release_address(t->worker, t->local_addr);
		ucp_worker_destroy(t->worker);
	}
	if (t->ctx)
		ucp_cleanup(t->ctx);
	while (t->all_bufs) {
		struct tp_sendbuf *b = t->all_bufs;

		t->all_bufs = b->all;
		free(b);
	}
	if (t->ib) {
		rdv_inbox_close(t->ib);
		free(t->ib);
	}
	if (t->epfd >= 0)
		close(t->epfd);
	if (t->timer_fd >= 0)
		close(t->timer_fd);
	free(t->peers);
	free(t);
}

void transport_close(struct transport *t)
{
	tp_close(t, 1);
}

void transport_abandon(struct transport *t)
{
	tp_close(t, 0);
}
