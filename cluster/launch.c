// SPDX-License-Identifier: GPL-2.0-only
/* cluster/launch.c — which host this process is, and the local try-out (see launch.h). */
#include "cluster/launch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "devices/machine.h"

#define NET_PREFIX "10.203.0."
#define END_GRACE_MS 15000    /* after node 0 ended, the others get this long */
#define END_GRACE_ERR_MS 5000 /* ... after node 0 failed */

static int parse_rank(const char *name, const char *v, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(v, &end, 10);
	if (errno || *end || end == v || *out < 0) {
		pr_err("%s=%s is not a rank (a number >= 0)", name, v);
		return -EINVAL;
	}
	return 0;
}

int span_which_node(const struct ssivm_config *cfg, int node_opt)
{
	uint32_t hosts = config_nr_hosts(cfg);
	const char *r = getenv("SLURM_PROCID"), *n = getenv("SLURM_NTASKS"), *name = "SLURM_PROCID";
	long rank, tasks;

	if (node_opt >= 0) {
		if ((uint32_t)node_opt >= hosts) {
			pr_err("--node %d: the configuration has hosts 0..%u", node_opt, hosts - 1);
			return -2;
		}
		return node_opt;
	}
	if (!r) {
		r = getenv("PMIX_RANK");
		name = "PMIX_RANK";
		n = NULL;
	}
	if (!r)
		return -1;
	if (parse_rank(name, r, &rank))
		return -2;
	if (n) {
		if (parse_rank("SLURM_NTASKS", n, &tasks))
			return -2;
		if ((uint32_t)tasks != hosts) {
			pr_err("SLURM_NTASKS=%ld, but the configuration has %u hosts: start one "
			       "task per host (srun -N%u --ntasks-per-node=1)",
			       tasks, hosts, hosts);
			return -2;
		}
	}
	if ((uint64_t)rank >= hosts) {
		pr_err("%s=%ld, but the configuration has hosts 0..%u", name, rank, hosts - 1);
		return -2;
	}
	pr_info("this is host %ld (from %s)", rank, name);
	return (int)rank;
}

/* ---- the local try-out ---------------------------------------------------- */

struct local_cluster {
	uint32_t n;
	bool netns;
	char name[32]; /* namespace prefix */
	char log_dir[256];
	pid_t pid[SSIVM_MAX_HOSTS];
	int status[SSIVM_MAX_HOSTS];
	int sig[SSIVM_MAX_HOSTS]; /* the signal that killed node k, or 0 */
	bool done[SSIVM_MAX_HOSTS];
	int err_pipe; /* node 0's stderr, teed to the terminal and node0.log */
	pthread_t tee;
	bool tee_up;
};

/* Run a command (argv), quietly; 0 when it exited 0. */
static int run_cmd(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, ret;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	ret = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret)
		return -ret;
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -EIO;
}

#define IP(...)                                                                                    \
	do {                                                                                       \
		char *const a_[] = {"ip", __VA_ARGS__, NULL};                                      \
		if (run_cmd(a_)) {                                                                 \
			pr_err("local cluster: `ip %s ...` failed", a_[1]);                        \
			return -EIO;                                                               \
		}                                                                                  \
	} while (0)

static void netns_down(struct local_cluster *lc)
{
	char ns[48];

	for (uint32_t k = 0; k <= lc->n; k++) {
		if (k == lc->n)
			snprintf(ns, sizeof(ns), "%s-sw", lc->name);
		else
			snprintf(ns, sizeof(ns), "%s-%u", lc->name, k);
		char *const a[] = {"ip", "netns", "del", ns, NULL};

		run_cmd(a);
	}
}

/* One namespace per host on a bridge, host k at 10.203.0.(k+1). */
static int netns_up(struct local_cluster *lc)
{
	char sw[48], ns[48], a[32], b[32], addr[32];

	snprintf(sw, sizeof(sw), "%s-sw", lc->name);
	IP("netns", "add", sw);
	IP("-n", sw, "link", "set", "lo", "up");
	IP("-n", sw, "link", "add", "br0", "type", "bridge");
	IP("-n", sw, "link", "set", "br0", "up");
	for (uint32_t k = 0; k < lc->n; k++) {
		snprintf(ns, sizeof(ns), "%s-%u", lc->name, k);
		snprintf(a, 16, "sv%dx%ua", (int)(getpid() % 100000), k % 100);
		snprintf(b, 16, "sv%dx%ub", (int)(getpid() % 100000), k % 100);
		snprintf(addr, sizeof(addr), NET_PREFIX "%u/24", k + 1);
		IP("netns", "add", ns);
		IP("-n", ns, "link", "set", "lo", "up");
		IP("link", "add", a, "type", "veth", "peer", "name", b);
		IP("link", "set", a, "netns", ns);
		IP("link", "set", b, "netns", sw);
		IP("-n", ns, "link", "set", a, "name", "eth0");
		IP("-n", ns, "addr", "add", addr, "dev", "eth0");
		IP("-n", ns, "link", "set", "eth0", "up");
		IP("-n", sw, "link", "set", b, "master", "br0");
		IP("-n", sw, "link", "set", b, "up");
	}
	return 0;
}

static void *tee_main(void *arg)
{
	struct local_cluster *lc = arg;
	char path[300], buf[4096];
	int log;
	ssize_t r;

	snprintf(path, sizeof(path), "%s/node0.log", lc->log_dir);
	log = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	while ((r = read(lc->err_pipe, buf, sizeof(buf))) > 0) {
		if (write(2, buf, (size_t)r) < 0)
			break;
		if (log >= 0 && write(log, buf, (size_t)r) < 0) {
			close(log);
			log = -1;
		}
	}
	if (log >= 0)
		close(log);
	return NULL;
}

static int spawn_node(struct local_cluster *lc, uint32_t k, int argc, char **argv,
		      const char *hosts)
{
	char path[300], node[16], ns[64], exe[4096];
	char **args = calloc((size_t)argc + 12, sizeof(char *));
	ssize_t el = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int errfd[2] = {-1, -1}, ret = 0;
	pid_t pid;

	if (!args || el <= 0) {
		free(args);
		return -ENOMEM;
	}
	exe[el] = 0;
	/* in a namespace through `ip netns exec`, which also mounts that
	 * namespace's /sys (UCX finds its network devices there) */
	unsigned a0 = 0;

	snprintf(ns, sizeof(ns), "%s-%u", lc->name, k);
	if (lc->netns) {
		args[a0++] = "ip";
		args[a0++] = "netns";
		args[a0++] = "exec";
		args[a0++] = ns;
	}
	args[a0++] = exe;
	args[a0++] = "run";
	for (int i = 1; i < argc; i++)
		args[a0++] = argv[i];
	snprintf(node, sizeof(node), "%u", k);
	args[a0++] = "--node";
	args[a0++] = node;
	args[a0++] = "--hosts";
	args[a0++] = (char *)hosts;
	if (k == 0 && pipe2(errfd, O_CLOEXEC)) {
		free(args);
		return -errno;
	}
	snprintf(path, sizeof(path), "%s/node%u.log", lc->log_dir, k);
	pid = fork();
	if (pid < 0) {
		ret = -errno;
	} else if (pid == 0) {
		int fd;

		if (k == 0) {
			dup2(errfd[1], 2);
		} else {
			fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			int in = open("/dev/null", O_RDONLY);

			if (fd < 0 || in < 0)
				_exit(1);
			dup2(in, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(args[0], args);
		fprintf(stderr, "ssivm: node %u: exec %s: %s\n", k, args[0], strerror(errno));
		_exit(1);
	}
	if (k == 0) {
		close(errfd[1]);
		lc->err_pipe = errfd[0];
		if (!pthread_create(&lc->tee, NULL, tee_main, lc))
			lc->tee_up = true;
	}
	lc->pid[k] = pid;
	free(args);
	return ret;
}

/* A base port with @n free ports after it on 127.0.0.1 (0: none found). */
static unsigned free_ports(unsigned n)
{
	for (unsigned base = 20000 + (unsigned)getpid() % 20000, tries = 0; tries < 50;
	     tries++, base = 20000 + (base + 97) % 40000) {
		unsigned ok = 0;

		for (unsigned i = 0; i < n; i++) {
			struct sockaddr_in a = {.sin_family = AF_INET,
						.sin_port = htons((uint16_t)(base + i)),
						.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

			if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)))
				ok++;
			if (fd >= 0)
				close(fd);
		}
		if (ok == n)
			return base;
	}
	return 0;
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void print_tail(const struct local_cluster *lc, uint32_t k)
{
	char path[300], line[512];
	long pos[8] = {0};
	unsigned n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/node%u.log", lc->log_dir, k);
	f = fopen(path, "r");
	if (!f)
		return;
	while (pos[n % 8] = ftell(f), fgets(line, sizeof(line), f))
		n++;
	fseek(f, pos[(n > 8 ? n - 8 : 0) % 8], SEEK_SET);
	fprintf(stderr, "ssivm: the last lines of node %u's log (%s):\n", k, path);
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "  | %s", line);
	fclose(f);
}

/* Wait for the nodes: node 0's end is the result; a node that fails first is
 * reported, and the others get END_GRACE_MS to notice and stop. */
static int wait_nodes(struct local_cluster *lc)
{
	uint64_t deadline = 0;
	unsigned grace_ms = END_GRACE_MS;
	uint32_t left = lc->n;
	bool killed = false;

	while (left) {
		int st;
		pid_t p = waitpid(-1, &st, deadline ? WNOHANG : 0);

		if (p < 0 && errno == EINTR) {
			if (got_signal) {
				for (uint32_t k = 0; k < lc->n; k++)
					if (!lc->done[k])
						kill(lc->pid[k], got_signal);
				/* a node that does not end on it is killed */
				if (!deadline) {
					grace_ms = END_GRACE_ERR_MS;
					deadline = now_ms() + grace_ms;
				}
			}
			got_signal = 0;
			continue;
		}
		if (p == 0) {
			if (now_ms() > deadline && !killed) {
				for (uint32_t k = 0; k < lc->n; k++)
					if (!lc->done[k]) {
						pr_err("local cluster: node %u did not stop within "
						       "%u s of the end; killing it",
						       k, grace_ms / 1000);
						kill(lc->pid[k], SIGKILL);
					}
				killed = true;
			}
			usleep(50000);
			continue;
		}
		if (p < 0)
			break;
		for (uint32_t k = 0; k < lc->n; k++) {
			if (lc->pid[k] != p || lc->done[k])
				continue;
			lc->done[k] = true;
			lc->status[k] = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			lc->sig[k] = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
			left--;
			/* node 0 failed or was killed: the others have been told, and
			 * one that does not follow soon is stuck (stopped, hung) */
			if (k == 0 && (lc->sig[0] || lc->status[0] == VM_STATUS_ERROR))
				grace_ms = END_GRACE_ERR_MS;
			else if (deadline)
				continue;
			deadline = now_ms() + grace_ms;
		}
	}
	/* a node that ended with another status than node 0 (the guest's) failed */
	for (uint32_t k = 1; k < lc->n; k++)
		if (lc->done[k] && lc->status[k] && lc->status[k] != lc->status[0]) {
			if (lc->sig[k])
				pr_err("local cluster: node %u was killed by signal %d (%s)", k,
				       lc->sig[k], strsignal(lc->sig[k]));
			else
				pr_err("local cluster: node %u exited with status %d", k,
				       lc->status[k]);
			print_tail(lc, k);
		}
	/* node 0 killed: the guest has no status of its own; a VMM error */
	if (lc->sig[0]) {
		pr_err(
		    "local cluster: node 0 was killed by signal %d (%s): ssivm exits with status "
		    "%d",
		    lc->sig[0], strsignal(lc->sig[0]), VM_STATUS_ERROR);
		return VM_STATUS_ERROR;
	}
	return lc->status[0];
}

int span_launch_local(const struct ssivm_config *cfg, int argc, char **argv, const char *log_dir)
{
	struct local_cluster lc = {.n = config_nr_hosts(cfg), .err_pipe = -1};
	const char *fabric = cfg->cluster.fabric;
	struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
	char hosts[SSIVM_MAX_HOSTS * 24] = "";
	size_t off = 0;
	int status = 1;

	lc.netns = !fabric || strcmp(fabric, "shm");
	snprintf(lc.name, sizeof(lc.name), "ssivm%d", (int)getpid());
	if (log_dir) {
		snprintf(lc.log_dir, sizeof(lc.log_dir), "%s", log_dir);
	} else {
		const char *rt = getenv("XDG_RUNTIME_DIR");

		snprintf(lc.log_dir, sizeof(lc.log_dir), "%s/ssivm-run-%d", rt ? rt : "/tmp",
			 (int)getpid());
	}
	if (mkdir(lc.log_dir, 0755) && errno != EEXIST) {
		pr_err("local cluster: cannot create the log directory %s: %s", lc.log_dir,
		       strerror(errno));
		return 1;
	}
	if (lc.netns && geteuid() != 0) {
		pr_err("local cluster: one network namespace per host needs root (CAP_NET_ADMIN); "
		       "run as root, or put every node on shared memory with --fabric shm");
		return 1;
	}
	for (uint32_t k = 0; k < lc.n; k++)
		off += (size_t)snprintf(hosts + off, sizeof(hosts) - off, "%s%s%u", k ? "," : "",
					lc.netns ? NET_PREFIX : "127.0.0.1", lc.netns ? k + 1 : 0u);
	if (!lc.netns) { /* one loopback: every host its own ports */
		unsigned base = cfg->cluster.port ? cfg->cluster.port : free_ports(2 * lc.n);

		if (!base) {
			pr_err("local cluster: no %u free consecutive ports on 127.0.0.1",
			       2 * lc.n);
			return 1;
		}
		off = 0;
		for (uint32_t k = 0; k < lc.n; k++)
			off += (size_t)snprintf(hosts + off, sizeof(hosts) - off, "%s127.0.0.1:%u",
						k ? "," : "", base + 2 * k);
	}
	if (lc.netns && netns_up(&lc)) {
		netns_down(&lc);
		return 1;
	}
	pr_info("local cluster: %u hosts as %s, node 0 on this terminal; logs in %s/node*.log",
		lc.n,
		lc.netns ? "processes in network namespaces on a bridge (TCP over veth)"
			 : "processes on shared memory",
		lc.log_dir);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	for (uint32_t k = 0; k < lc.n; k++)
		if (spawn_node(&lc, k, argc, argv, hosts)) {
			pr_err("local cluster: cannot start node %u", k);
			for (uint32_t j = 0; j < k; j++)
				kill(lc.pid[j], SIGKILL);
			lc.n = k;
			break;
		}
	status = wait_nodes(&lc);
	if (lc.tee_up)
		pthread_join(lc.tee, NULL);
	if (lc.err_pipe >= 0)
		close(lc.err_pipe);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (lc.netns) {
		lc.n = config_nr_hosts(cfg);
		netns_down(&lc);
	}
	return status;
}
