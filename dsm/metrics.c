// SPDX-License-Identifier: GPL-2.0-only
/* dsm/metrics.c — DSM metrics: Prometheus text and the Unix-socket endpoint. */
#include "dsm/metrics.h"

#include "common/log.h"
#include "common/outbuf.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

void metrics_init(struct dsm_metrics *m, int node)
{
	memset(m, 0, sizeof(*m));
	m->node = node;
	hist_init(&m->service_ns);
	for (int i = 0; i < DSM_OP_NR; i++)
		hist_init(&m->op_ns[i]);
}

int metrics_register_vcpu(struct dsm_metrics *m, uint32_t vcpu, int32_t tid)
{
	for (int i = 0; i < DSM_METRICS_VCPUS; i++) {
		struct dsm_vcpu_stats *v = &m->vcpu[i];
		int zero = 0;

		if (!__atomic_compare_exchange_n(&v->claimed, &zero, 1, false, __ATOMIC_ACQ_REL,
						 __ATOMIC_RELAXED))
			continue;
		v->vcpu = vcpu;
		__atomic_store_n(&v->tid, tid, __ATOMIC_RELEASE);
		return 0;
	}
	return -ENOSPC;
}

int metrics_vcpu_slot(const struct dsm_metrics *m, int32_t tid)
{
	if (tid <= 0)
		return -1;
	for (int i = 0; i < DSM_METRICS_VCPUS; i++) {
		int32_t t = __atomic_load_n(&m->vcpu[i].tid, __ATOMIC_ACQUIRE);

		if (t == tid)
			return i;
		if (!t && !__atomic_load_n(&m->vcpu[i].claimed, __ATOMIC_RELAXED))
			return -1; /* slots are claimed in order: none further */
	}
	return -1;
}

static void add_relaxed(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
}

void metrics_vcpu_fault(struct dsm_metrics *m, int s, bool remote, uint64_t ns)
{
	struct dsm_vcpu_stats *v;

	if (s < 0 || s >= DSM_METRICS_VCPUS)
		return;
	v = &m->vcpu[s];
	add_relaxed(remote ? &v->faults_remote : &v->faults_local, 1);
	add_relaxed(&v->stall_ns, ns);
}

void metrics_hot_page(struct dsm_metrics *m, uint64_t page)
{
	struct dsm_hot_page *min = &m->hot[0];

	for (int i = 0; i < DSM_HOT_PAGES; i++) {
		struct dsm_hot_page *h = &m->hot[i];

		if (h->count && h->page == page) {
			add_relaxed(&h->count, 1);
			return;
		}
		if (h->count < min->count)
			min = h;
	}
	/* not in the table: it takes the place of the least counted one */
	__atomic_store_n(&min->page, page, __ATOMIC_RELAXED);
	add_relaxed(&min->count, 1);
}

const char *metrics_op_name(enum dsm_op_hist op)
{
	static const char *const names[DSM_OP_NR] = {"copy", "protect", "unprotect", "drop",
						     "wake", "send",    "recv",      "move"};

	return (unsigned)op < DSM_OP_NR ? names[op] : "?";
}

static const struct {
	enum dsm_counter c;
	const char *name, *labels, *help, *type;
} counters[] = {
    {DSM_C_FAULT_READ, "ssivm_dsm_faults_total", "kind=\"read\"",
     "userfaultfd faults by kind (read miss, write miss, write to a read-only copy)", "counter"},
    {DSM_C_FAULT_WRITE, "ssivm_dsm_faults_total", "kind=\"write\"", NULL, NULL},
    {DSM_C_FAULT_WP, "ssivm_dsm_faults_total", "kind=\"write_protect\"", NULL, NULL},
    {DSM_C_FAULT_LOCAL, "ssivm_dsm_faults_local_total", NULL,
     "faults served without a message to or from another node", "counter"},
    {DSM_C_FAULT_HOME, "ssivm_dsm_faults_home_total", NULL,
     "of the local faults: served by this node as the page's home (first touch, own upgrade)",
     "counter"},
    {DSM_C_FAULT_REMOTE, "ssivm_dsm_faults_remote_total", NULL,
     "faults whose transaction exchanged a message with another node", "counter"},
    {DSM_C_FAULT_FAILED, "ssivm_dsm_faults_failed_total", NULL,
     "faults that could not be served (peer down, protocol error)", "counter"},
    {DSM_C_REMOTE_FETCH, "ssivm_dsm_remote_fetches_total", NULL, "pages received with their data",
     "counter"},
    {DSM_C_INVAL_SENT, "ssivm_dsm_invalidations_sent_total", NULL,
     "invalidations sent to other nodes", "counter"},
    {DSM_C_INVAL_RECV, "ssivm_dsm_invalidations_received_total", NULL,
     "invalidations received from other nodes", "counter"},
    {DSM_C_MSG_SENT, "ssivm_dsm_messages_sent_total", NULL, "protocol messages sent", "counter"},
    {DSM_C_MSG_RECV, "ssivm_dsm_messages_received_total", NULL, "protocol messages received",
     "counter"},
    {DSM_C_BYTES_SENT, "ssivm_dsm_bytes_sent_total", NULL, "bytes sent (headers and pages)",
     "counter"},
    {DSM_C_BYTES_RECV, "ssivm_dsm_bytes_received_total", NULL, "bytes received (headers and pages)",
     "counter"},
    {DSM_C_PAGES_OWNED, "ssivm_dsm_pages_owned", NULL, "pages this node maps writable (exclusive)",
     "gauge"},
    {DSM_C_BAD_MSG, "ssivm_dsm_bad_messages_total", NULL,
     "peer messages rejected as malformed or unexpected", "counter"},
    {DSM_C_LOOP_SPIN, "ssivm_dsm_loop_spins_total", NULL,
     "service loop iterations spent busy-polling", "counter"},
    {DSM_C_LOOP_SLEEP, "ssivm_dsm_loop_sleeps_total", NULL,
     "times the service loop blocked in epoll", "counter"},
    {DSM_C_SPIN_WINDOW, "ssivm_dsm_spin_window_seconds", NULL,
     "current busy-poll window of the service loop", "gauge"},
    {DSM_C_PAGES_LOST, "ssivm_dsm_pages_lost_total", NULL,
     "pages found gone from the mapping outside the protocol (discarded)", "counter"},
};

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

/* faults that needed a message / faults handed to the protocol */
static double remote_ratio(const struct dsm_metrics *m)
{
	uint64_t r = metrics_get(m, DSM_C_FAULT_REMOTE);

	return ratio(r, r + metrics_get(m, DSM_C_FAULT_LOCAL));
}

static uint64_t total_faults(const struct dsm_metrics *m)
{
	return metrics_get(m, DSM_C_FAULT_READ) + metrics_get(m, DSM_C_FAULT_WRITE) +
	       metrics_get(m, DSM_C_FAULT_WP);
}

static void put_vcpus(struct outbuf *o, const struct dsm_metrics *m)
{
	static const char *const fam[2] = {"ssivm_dsm_vcpu_faults_total",
					   "ssivm_dsm_vcpu_stall_seconds_total"};

	outbuf_printf(o, "# HELP %s DSM faults of each vCPU thread of this node, by where served\n",
		      fam[0]);
	outbuf_printf(o, "# TYPE %s counter\n", fam[0]);
	for (int i = 0; i < DSM_METRICS_VCPUS; i++) {
		const struct dsm_vcpu_stats *v = &m->vcpu[i];

		if (!__atomic_load_n(&v->tid, __ATOMIC_ACQUIRE))
			continue;
		outbuf_printf(
		    o, "%s{node=\"%d\",vcpu=\"%u\",where=\"local\"} %llu\n", fam[0], m->node,
		    v->vcpu,
		    (unsigned long long)__atomic_load_n(&v->faults_local, __ATOMIC_RELAXED));
		outbuf_printf(
		    o, "%s{node=\"%d\",vcpu=\"%u\",where=\"remote\"} %llu\n", fam[0], m->node,
		    v->vcpu,
		    (unsigned long long)__atomic_load_n(&v->faults_remote, __ATOMIC_RELAXED));
	}
	outbuf_printf(o, "# HELP %s time the DSM faults of each vCPU waited to be served\n",
		      fam[1]);
	outbuf_printf(o, "# TYPE %s counter\n", fam[1]);
	for (int i = 0; i < DSM_METRICS_VCPUS; i++) {
		const struct dsm_vcpu_stats *v = &m->vcpu[i];

		if (__atomic_load_n(&v->tid, __ATOMIC_ACQUIRE))
			outbuf_printf(
			    o, "%s{node=\"%d\",vcpu=\"%u\"} %.9f\n", fam[1], m->node, v->vcpu,
			    (double)__atomic_load_n(&v->stall_ns, __ATOMIC_RELAXED) * 1e-9);
	}
	outbuf_printf(
	    o, "# HELP ssivm_dsm_hot_page_faults remote faults of the hottest pages (top %d)\n",
	    DSM_HOT_PAGES);
	outbuf_printf(o, "# TYPE ssivm_dsm_hot_page_faults gauge\n");
	for (int i = 0; i < DSM_HOT_PAGES; i++) {
		uint64_t n = __atomic_load_n(&m->hot[i].count, __ATOMIC_RELAXED);

		if (n)
			outbuf_printf(
			    o, "ssivm_dsm_hot_page_faults{node=\"%d\",offset=\"0x%llx\"} %llu\n",
			    m->node,
			    (unsigned long long)__atomic_load_n(&m->hot[i].page, __ATOMIC_RELAXED) *
				4096ull,
			    (unsigned long long)n);
	}
}

size_t metrics_format_prometheus(const struct dsm_metrics *m, char *buf, size_t len)
{
	static const double qs[] = {0.5, 0.9, 0.99, 0.999};
	struct outbuf o = {buf, len, 0};
	struct hist *h = malloc(sizeof(*h));
	const char *sum = "ssivm_dsm_fault_service_seconds";

	if (len)
		buf[0] = 0;
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		if (counters[i].help)
			outbuf_printf(&o, "# HELP %s %s\n# TYPE %s %s\n", counters[i].name,
				      counters[i].help, counters[i].name, counters[i].type);
		if (counters[i].c == DSM_C_SPIN_WINDOW) /* kept in ns, shown in seconds */
			outbuf_printf(&o, "%s{node=\"%d\"} %.9f\n", counters[i].name, m->node,
				      (double)metrics_get(m, counters[i].c) * 1e-9);
		else
			outbuf_printf(&o, "%s{node=\"%d\"%s%s} %llu\n", counters[i].name, m->node,
				      counters[i].labels ? "," : "",
				      counters[i].labels ? counters[i].labels : "",
				      (unsigned long long)metrics_get(m, counters[i].c));
	}
	outbuf_printf(
	    &o, "# HELP ssivm_dsm_remote_miss_ratio faults that needed a message / all faults\n");
	outbuf_printf(&o, "# TYPE ssivm_dsm_remote_miss_ratio gauge\n");
	outbuf_printf(&o, "ssivm_dsm_remote_miss_ratio{node=\"%d\"} %.6f\n", m->node,
		      remote_ratio(m));
	if (!h)
		return o.pos;
	hist_snapshot(&m->service_ns, h);
	outbuf_printf(&o, "# HELP %s fault service time, from reading the fault to the wake-up\n",
		      sum);
	outbuf_printf(&o, "# TYPE %s summary\n", sum);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		outbuf_printf(&o, "%s{node=\"%d\",quantile=\"%g\"} %.9f\n", sum, m->node, qs[i],
			      (double)hist_quantile(h, qs[i]) * 1e-9);
	outbuf_printf(&o, "%s_sum{node=\"%d\"} %.9f\n", sum, m->node, (double)h->sum * 1e-9);
	outbuf_printf(&o, "%s_count{node=\"%d\"} %llu\n", sum, m->node,
		      (unsigned long long)h->count);
	outbuf_printf(&o, "# HELP %s_max longest fault service time\n# TYPE %s_max gauge\n", sum,
		      sum);
	outbuf_printf(&o, "%s_max{node=\"%d\"} %.9f\n", sum, m->node, (double)h->max * 1e-9);
	outbuf_printf(&o, "# HELP ssivm_dsm_action_seconds service thread time per action\n");
	outbuf_printf(&o, "# TYPE ssivm_dsm_action_seconds summary\n");
	for (int op = 0; op < DSM_OP_NR; op++) {
		hist_snapshot(&m->op_ns[op], h);
		for (int i = 0; i < 4; i += 2)
			outbuf_printf(
			    &o,
			    "ssivm_dsm_action_seconds{node=\"%d\",op=\"%s\",quantile=\"%g\"} "
			    "%.9f\n",
			    m->node, metrics_op_name(op), i ? 0.99 : 0.5,
			    (double)hist_quantile(h, i ? 0.99 : 0.5) * 1e-9);
		outbuf_printf(&o, "ssivm_dsm_action_seconds_count{node=\"%d\",op=\"%s\"} %llu\n",
			      m->node, metrics_op_name(op), (unsigned long long)h->count);
	}
	free(h);
	put_vcpus(&o, m);
	return o.pos;
}

size_t metrics_format_summary(const struct dsm_metrics *m, char *buf, size_t len)
{
	struct outbuf o = {buf, len, 0};
	struct hist *h = malloc(sizeof(*h));

	if (len)
		buf[0] = 0;
	outbuf_printf(
	    &o,
	    "node %d: faults %llu (read %llu, write %llu, write-protect %llu), local %llu, "
	    "remote %llu, failed %llu, remote miss ratio %.3f\n",
	    m->node, (unsigned long long)total_faults(m),
	    (unsigned long long)metrics_get(m, DSM_C_FAULT_READ),
	    (unsigned long long)metrics_get(m, DSM_C_FAULT_WRITE),
	    (unsigned long long)metrics_get(m, DSM_C_FAULT_WP),
	    (unsigned long long)metrics_get(m, DSM_C_FAULT_LOCAL),
	    (unsigned long long)metrics_get(m, DSM_C_FAULT_REMOTE),
	    (unsigned long long)metrics_get(m, DSM_C_FAULT_FAILED), remote_ratio(m));
	outbuf_printf(
	    &o,
	    "node %d: fetches %llu, invalidations sent %llu received %llu, messages sent %llu "
	    "received %llu, bytes sent %llu received %llu, pages owned %llu, bad messages %llu, "
	    "spin window %.0f us\n",
	    m->node, (unsigned long long)metrics_get(m, DSM_C_REMOTE_FETCH),
	    (unsigned long long)metrics_get(m, DSM_C_INVAL_SENT),
	    (unsigned long long)metrics_get(m, DSM_C_INVAL_RECV),
	    (unsigned long long)metrics_get(m, DSM_C_MSG_SENT),
	    (unsigned long long)metrics_get(m, DSM_C_MSG_RECV),
	    (unsigned long long)metrics_get(m, DSM_C_BYTES_SENT),
	    (unsigned long long)metrics_get(m, DSM_C_BYTES_RECV),
	    (unsigned long long)metrics_get(m, DSM_C_PAGES_OWNED),
	    (unsigned long long)metrics_get(m, DSM_C_BAD_MSG),
	    (double)metrics_get(m, DSM_C_SPIN_WINDOW) / 1e3);
	if (h) {
		hist_snapshot(&m->service_ns, h);
		outbuf_printf(
		    &o,
		    "node %d: fault service time (us) n=%llu median %.1f p90 %.1f p99 %.1f "
		    "p99.9 %.1f max %.1f\n",
		    m->node, (unsigned long long)h->count, hist_quantile(h, 0.5) / 1e3,
		    hist_quantile(h, 0.9) / 1e3, hist_quantile(h, 0.99) / 1e3,
		    hist_quantile(h, 0.999) / 1e3, (double)h->max / 1e3);
		outbuf_printf(&o, "node %d: actions (us, median/p99):", m->node);
		for (int op = 0; op < DSM_OP_NR; op++) {
			hist_snapshot(&m->op_ns[op], h);
			if (h->count)
				outbuf_printf(&o, " %s %.1f/%.1f", metrics_op_name(op),
					      hist_quantile(h, 0.5) / 1e3,
					      hist_quantile(h, 0.99) / 1e3);
		}
		outbuf_printf(&o, "\n");
		free(h);
	}
	return o.pos;
}

static void serve_one(struct metrics_server *s, int fd)
{
	size_t cap = 16384, need;
	char *buf = malloc(cap);

	if (!buf)
		return;
	need = metrics_format_prometheus(s->m, buf, cap);
	if (need >= cap) {
		char *nb = realloc(buf, need + 1);

		if (!nb) {
			free(buf);
			return;
		}
		buf = nb;
		need = metrics_format_prometheus(s->m, buf, need + 1);
	}
	for (size_t off = 0; off < need;) {
		ssize_t w = send(fd, buf + off, need - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(buf);
}

static void *server_main(void *arg)
{
	struct metrics_server *s = arg;
	struct pollfd p[2] = {{.fd = s->listen_fd, .events = POLLIN},
			      {.fd = s->stop_fd, .events = POLLIN}};

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			pr_err("metrics: poll on %s failed: %s", s->path, strerror(errno));
			break;
		}
		if (p[1].revents)
			break;
		if (p[0].revents & POLLIN) {
			int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);

			if (fd >= 0) {
				serve_one(s, fd);
				close(fd);
			}
		}
	}
	return NULL;
}

static int fill_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (!*path)
		return -EINVAL;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

static const char *file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "a regular file";
	case S_IFDIR:
		return "a directory";
	case S_IFLNK:
		return "a symbolic link";
	case S_IFIFO:
		return "a FIFO";
	case S_IFCHR:
	case S_IFBLK:
		return "a device";
	default:
		return "not a socket";
	}
}

int metrics_socket_check(const char *path, const char **what)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, err;

	*what = "";
	err = fill_addr(&sa, path);
	if (err) {
		*what = err == -EINVAL ? "an empty path" : "a path too long for a Unix socket";
		return err;
	}
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT) {
			*what = "free";
			return 0;
		}
		*what = "a path that cannot be examined";
		return -errno;
	}
	if (!S_ISSOCK(st.st_mode)) {
		*what = file_kind(st.st_mode);
		return -EEXIST;
	}
	/* A socket: live when a process listens on it (non-blocking: a listener
	 * whose backlog is full answers EAGAIN, and is live too). */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		*what = "a socket that cannot be probed";
		return -errno;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EAGAIN) {
		close(fd);
		*what = "a socket another process listens on";
		return -EADDRINUSE;
	}
	err = errno;
	close(fd);
	if (err == ECONNREFUSED) {
		*what = "a stale socket (nobody listens on it)";
		return 0;
	}
	*what = "a socket that cannot be probed";
	return -err;
}

int metrics_server_start(struct metrics_server *s, const char *path, const struct dsm_metrics *m)
{
	struct sockaddr_un sa;
	const char *what;
	struct stat st;
	int err;

	memset(s, 0, sizeof(*s));
	s->listen_fd = s->stop_fd = -1;
	err = metrics_socket_check(path, &what);
	if (err && !*path)
		pr_err("metrics: the socket path is empty");
	else if (err)
		pr_err("metrics: %s is %s: the metrics socket replaces only a stale socket", path,
		       what);
	if (err)
		return err;
	fill_addr(&sa, path);
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->m = m;
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	s->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (s->listen_fd < 0 || s->stop_fd < 0)
		goto fail;
	/* Only a stale socket goes (checked just above); if something took its
	 * place since, it stays and bind() fails with EADDRINUSE. */
	if (!lstat(path, &st) && S_ISSOCK(st.st_mode))
		unlink(path);
	if (bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(s->listen_fd, 8) < 0 || lstat(path, &st) < 0)
		goto fail;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	err = pthread_create(&s->thread, NULL, server_main, s);
	if (err) {
		errno = err;
		goto fail;
	}
	s->running = 1;
	return 0;
fail:
	err = -errno;
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	s->listen_fd = s->stop_fd = -1;
	return err;
}

void metrics_server_stop(struct metrics_server *s)
{
	uint64_t one = 1;
	struct stat st;

	if (!s->running)
		return;
	if (write(s->stop_fd, &one, sizeof(one)) < 0)
		pr_warn("metrics: cannot wake the server thread: %s", strerror(errno));
	pthread_join(s->thread, NULL);
	close(s->listen_fd);
	close(s->stop_fd);
	/* remove our socket file, never what someone put in its place */
	if (!lstat(s->path, &st) && S_ISSOCK(st.st_mode) && st.st_dev == s->dev &&
	    st.st_ino == s->ino)
		unlink(s->path);
	s->running = 0;
}
