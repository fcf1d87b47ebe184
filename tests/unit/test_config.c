// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_config.c — the configuration parser and validator: good
 * files and flags, flags over the file, derived defaults, and a table of bad
 * configurations each refused with its own message.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/unit/config_test_util.h"

#define GiB (1ULL << 30)
#define NODES2_HOST0 "--numa id=0,cpus=0,memory=1G,host=0 --numa id=1,cpus=1,memory=1G,host=0"
#define MiB (1ULL << 20)

static const char two_node_file[] =
    "vcpus = 4;\n"
    "kernel = \"build/guest/vmlinuz\"; initrd = \"build/guest/initrd.img\";\n"
    "cmdline = \"console=ttyS0\";\n"
    "numa = ( { id = 0; cpus = \"0-1\"; memory = \"1G\"; distances = \"1@20\"; },\n"
    "         { id = 1; cpus = \"2-3\"; memory = \"1G\"; distances = \"0@20\"; } );\n"
    "hmat = ( { initiator = 0; target = 1; read_latency_ns = 200; read_bandwidth_mbs = "
    "10000; } );\n";

static void test_file_two_nodes(void **state)
{
	struct ssivm_config cfg;
	struct captured c;

	parse_and_validate(&cfg, two_node_file, "", 0, &c);
	assert_int_equal(c.stage, 2);
	assert_string_equal(c.err, "");
	assert_int_equal(cfg.nr_vcpus, 4);
	assert_int_equal(cfg.nr_nodes, 2);
	assert_int_equal(cfg.nodes[0].mem_bytes, GiB);
	assert_int_equal(cfg.nodes[1].nr_cpus, 2);
	assert_int_equal(cfg.nodes[1].cpus[0], 2);
	assert_int_equal(cfg.nodes[1].cpus[1], 3);
	assert_int_equal(config_node_of_cpu(&cfg, 3), 1);
	assert_int_equal(config_node_of_cpu(&cfg, 4), -1);
	assert_int_equal(config_total_mem(&cfg), 2 * GiB);
	assert_int_equal(cfg.distance[0][1], 20);
	assert_int_equal(cfg.distance[1][1], 10);
	assert_int_equal(cfg.nr_hmat, 1);
	assert_int_equal(cfg.hmat[0].read_latency_ns, 200);
	assert_int_equal(cfg.hmat[0].read_bandwidth_mbs, 10000);
	assert_int_equal(cfg.hmat[0].write_latency_ns, 0);
	assert_string_equal(cfg.kernel, "build/guest/vmlinuz");
	assert_string_equal(cfg.cmdline, "console=ttyS0");
	assert_null(cfg.serial_log);
	config_free(&cfg);
	assert_null(cfg.kernel);
}

static void test_flags_only(void **state)
{
	struct ssivm_config cfg;
	struct captured c;

	parse_and_validate(&cfg, NULL,
			   "--vcpus 4 --numa id=0,cpus=0-1:3,memory=1G,distances=1@15:2@30 "
			   "--numa id=1,cpus=2,memory=512M --numa id=2,memory=2G "
			   "--hmat initiator=1,target=2,latency=1.5us,read-bandwidth=10G "
			   "--kernel /k --cmdline quiet --serial-log /tmp/ser.log",
			   0, &c);
	assert_int_equal(c.stage, 2);
	assert_int_equal(cfg.nr_nodes, 3);
	assert_int_equal(cfg.nodes[0].nr_cpus, 3);
	assert_int_equal(cfg.nodes[0].cpus[2], 3);
	assert_int_equal(cfg.nodes[2].nr_cpus, 0);
	assert_int_equal(cfg.nodes[1].mem_bytes, 512 * MiB);
	/* given one way, mirrored; not given at all: 20 */
	assert_int_equal(cfg.distance[0][2], 30);
	assert_int_equal(cfg.distance[2][0], 30);
	assert_int_equal(cfg.distance[1][0], 15);
	assert_int_equal(cfg.distance[1][2], 20);
	assert_int_equal(cfg.hmat[0].read_latency_ns, 1500);
	assert_int_equal(cfg.hmat[0].write_latency_ns, 1500);
	assert_int_equal(cfg.hmat[0].read_bandwidth_mbs, 10240);
	assert_int_equal(cfg.hmat[0].write_bandwidth_mbs, 0);
	assert_string_equal(cfg.serial_log, "/tmp/ser.log");
	config_free(&cfg);
}

static void test_flags_override_file(void **state)
{
	struct ssivm_config cfg;
	struct captured c;

	/* --numa id=1 replaces the file's node 1 (its cpus and distances too) */
	parse_and_validate(&cfg, two_node_file,
			   "--vcpus 5 --numa id=1,cpus=[2-4],memory=3G,distances=[0@20] "
			   "--hmat initiator=0,target=1,read-latency=300ns "
			   "--cmdline console=ttyS0,115200",
			   0, &c);
	assert_int_equal(c.stage, 2);
	assert_int_equal(cfg.nr_vcpus, 5);
	assert_int_equal(cfg.nodes[1].nr_cpus, 3);
	assert_int_equal(cfg.nodes[1].mem_bytes, 3 * GiB);
	assert_int_equal(cfg.nodes[0].mem_bytes, GiB);
	assert_int_equal(cfg.nr_hmat, 1);
	assert_int_equal(cfg.hmat[0].read_latency_ns, 300);
	assert_int_equal(cfg.hmat[0].read_bandwidth_mbs, 0); /* the entry was replaced */
	assert_string_equal(cfg.cmdline, "console=ttyS0,115200");
	assert_string_equal(cfg.kernel, "build/guest/vmlinuz");
	config_free(&cfg);
}

/* host = 0 (this process) is the only host there is; it is accepted both ways. */
static void test_host_zero(void **state)
{
	struct ssivm_config cfg;
	struct captured c;

	parse_and_validate(&cfg, NULL, NODES2_HOST0, 0, &c);
	assert_int_equal(c.stage, 2);
	assert_int_equal(cfg.nodes[1].host, 0);
	config_free(&cfg);
	parse_and_validate(&cfg, "numa = ({ id = 0; cpus = \"0\"; memory = \"1G\"; host = 0; });\n",
			   "", 0, &c);
	assert_int_equal(c.stage, 2);
	assert_string_equal(c.err, "");
	config_free(&cfg);
}

/* A guest across two hosts: the cluster section, flags on top, the hash. */
static void test_cluster(void **state)
{
	struct ssivm_config cfg;
	struct captured c;
	uint64_t h1, h2;

	parse_and_validate(
	    &cfg,
	    "cluster = { hosts = [\"10.0.0.1\", \"node-b:7500\"]; fabric = \"tcp\";\n"
	    "            port = 7600; dsm = \"migrate_after=2\"; peer_timeout_ms = 3000; };\n"
	    "numa = ({ id = 0; cpus = \"0-1\"; memory = \"1G\"; },\n"
	    "        { id = 1; cpus = \"2-3\"; memory = \"512M\"; host = 1; },\n"
	    "        { id = 2; memory = \"256M\"; host = 1; });\n",
	    "", 0, &c);
	assert_string_equal(c.err, "");
	assert_int_equal(c.stage, 2);
	assert_int_equal(config_nr_hosts(&cfg), 2);
	assert_int_equal(cfg.cluster.nr_addrs, 2);
	assert_string_equal(cfg.cluster.addrs[1], "node-b:7500");
	assert_string_equal(cfg.cluster.fabric, "tcp");
	assert_int_equal(config_cluster_port(&cfg), 7600);
	assert_string_equal(cfg.cluster.dsm_policy, "migrate_after=2");
	assert_int_equal(cfg.cluster.peer_timeout_ms, 3000);
	assert_int_equal(config_host_of_cpu(&cfg, 3), 1);
	assert_int_equal(config_host_of_cpu(&cfg, 1), 0);
	h1 = config_hash(&cfg);
	config_free(&cfg);
	/* flags replace the file's hosts; another fabric changes the hash */
	parse_and_validate(&cfg, NULL,
			   "--numa id=0,cpus=0-1,memory=1G --numa id=1,cpus=2-3,memory=512M,host=1 "
			   "--numa id=2,memory=256M,host=1 --hosts 10.1.0.1,10.1.0.2 --fabric shm "
			   "--dsm-policy migrate_after=2",
			   0, &c);
	assert_int_equal(c.stage, 2);
	assert_int_equal(cfg.cluster.nr_addrs, 2);
	assert_string_equal(cfg.cluster.addrs[0], "10.1.0.1");
	assert_int_equal(config_cluster_port(&cfg), 7400);
	h2 = config_hash(&cfg);
	assert_true(h1 != h2);
	free(cfg.cluster.fabric);
	cfg.cluster.fabric = strdup("tcp");
	assert_int_equal(config_hash(&cfg), h1); /* the addresses are not part of it */
	config_free(&cfg);
}

/* --config is read first wherever it stands; the flags still win. */
static void test_config_position(void **state)
{
	struct ssivm_config cfg;
	const char *path = write_temp_cfg("vcpus = 2; cmdline = \"from-file\";\n");
	char *argv[] = {"test", "--vcpus", "1", "--cmdline=from-flag", NULL, NULL};
	char arg[128];

	snprintf(arg, sizeof(arg), "--config=%s", path);
	argv[4] = arg;
	config_init(&cfg);
	assert_int_equal(config_parse_args(&cfg, 5, argv, NULL), 0);
	assert_int_equal(cfg.nr_vcpus, 1);
	assert_string_equal(cfg.cmdline, "from-flag");
	assert_string_equal(cfg.config_file, path);
	config_free(&cfg);
	unlink(path);
}

/* A subcommand's own options go through its handler, in order. */
struct extra_seen {
	char out[64];
	int helps;
};

static int extra_handle(int opt, const char *arg, void *opaque)
{
	struct extra_seen *e = opaque;

	if (opt == 'o')
		snprintf(e->out, sizeof(e->out), "%s", arg);
	if (opt == 'h')
		return ++e->helps;
	return 0;
}

static void test_extra_options(void **state)
{
	static const struct option opts[] = {
	    {"output", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'}, {0}};
	struct extra_seen seen = {.helps = 0};
	struct config_extra_opts extra = {
	    .opts = opts, .shortopts = "o:h", .handle = extra_handle, .opaque = &seen};
	char *argv1[] = {"test", "-o", "/tmp/x", "--vcpus", "2", "rest", NULL};
	char *argv2[] = {"test", "--vcpus", "2", "--help", NULL};
	struct ssivm_config cfg;

	config_init(&cfg);
	extra.allow_args = true;
	assert_int_equal(config_parse_args(&cfg, 6, argv1, &extra), 0);
	assert_string_equal(seen.out, "/tmp/x");
	assert_int_equal(cfg.nr_vcpus, 2);
	assert_string_equal(argv1[extra.first_arg], "rest");
	config_free(&cfg);

	config_init(&cfg);
	assert_int_equal(config_parse_args(&cfg, 4, argv2, &extra), 1); /* the handler's value */
	assert_int_equal(seen.helps, 1);
	config_free(&cfg);
}

/* The examples in the repository are valid (test run from the source tree). */
static void test_examples(void **state)
{
	static const char *const files[] = {"examples/two-node.cfg", "examples/four-node.cfg"};

	for (size_t i = 0; i < 2; i++) {
		char *argv[] = {"test", "--config", (char *)files[i], NULL};
		struct ssivm_config cfg;

		config_init(&cfg);
		assert_int_equal(config_parse_args(&cfg, 3, argv, NULL), 0);
		assert_int_equal(config_validate_for(&cfg, 0), 0);
		assert_true(cfg.nr_nodes >= 2);
		assert_true(cfg.nr_hmat >= 4);
		config_free(&cfg);
	}
}

static void test_defaults(void **state)
{
	struct ssivm_config cfg;
	struct captured c;

	parse_and_validate(&cfg, NULL, "", 0, &c);
	assert_int_equal(c.stage, 2);
	assert_int_equal(cfg.nr_vcpus, 1);
	assert_int_equal(cfg.nr_nodes, 1);
	assert_int_equal(cfg.nodes[0].mem_bytes, 256 * MiB);
	assert_int_equal(cfg.nodes[0].nr_cpus, 1);
	config_free(&cfg);

	/* --memory: one node with every vCPU */
	parse_and_validate(&cfg, NULL, "--memory 3G --vcpus 3", 0, &c);
	assert_int_equal(c.stage, 2);
	assert_int_equal(cfg.nr_nodes, 1);
	assert_int_equal(cfg.nodes[0].mem_bytes, 3 * GiB);
	assert_int_equal(cfg.nodes[0].nr_cpus, 3);
	config_free(&cfg);

	/* nodes that list no cpus share them out in blocks; vcpus from the file */
	parse_and_validate(
	    &cfg,
	    "vcpus = 5; memory = \"3G\";\n"
	    "numa = ({ id = 1; memory = \"2G\"; }, { id = 0; memory = 1073741824; });\n",
	    "", 0, &c);
	assert_int_equal(c.stage, 2);
	assert_int_equal(cfg.nodes[0].id, 0);
	assert_int_equal(cfg.nodes[0].mem_bytes, GiB);
	assert_int_equal(cfg.nodes[0].nr_cpus, 3);
	assert_int_equal(cfg.nodes[1].nr_cpus, 2);
	assert_int_equal(config_node_of_cpu(&cfg, 2), 0);
	assert_int_equal(config_node_of_cpu(&cfg, 3), 1);
	config_free(&cfg);

	/* QEMU's way: cpus= repeated within one node */
	parse_and_validate(&cfg, NULL,
			   "--numa id=0,cpus=0,cpus=2,memory=1G --numa id=1,cpus=1,mem=1G", 0, &c);
	assert_int_equal(c.stage, 2);
	assert_int_equal(cfg.nr_vcpus, 3);
	assert_int_equal(cfg.nodes[0].nr_cpus, 2);
	assert_int_equal(cfg.nodes[0].cpus[1], 2);
	config_free(&cfg);

	/* without vcpus: the highest listed cpu + 1 */
	parse_and_validate(&cfg, NULL, "--numa id=0,cpus=0-2,memory=1G", 0, &c);
	assert_int_equal(c.stage, 2);
	assert_int_equal(cfg.nr_vcpus, 3);
	config_free(&cfg);
}

static void test_sizes_and_units(void **state)
{
	struct ssivm_config cfg;
	struct captured c;

	parse_and_validate(&cfg, NULL,
			   "--numa id=0,cpus=00,memory=2048MiB --numa id=1,cpus=01,memory=4194304k "
			   "--numa id=2,cpus=2-010,mem=1gb --vcpus 0xB "
			   "--hmat initiator=0,target=1,read_latency=2us,write-latency=250,"
			   "read-bandwidth=800M,write-bandwidth=1T",
			   0, &c);
	assert_int_equal(c.stage, 2);
	assert_int_equal(cfg.nodes[0].mem_bytes, 2 * GiB);
	assert_int_equal(cfg.nodes[1].mem_bytes, 4 * GiB);
	assert_int_equal(cfg.nodes[2].mem_bytes, GiB);
	assert_int_equal(cfg.nodes[2].cpus[8], 10); /* not octal */
	assert_int_equal(cfg.nr_vcpus, 11);
	assert_int_equal(cfg.hmat[0].read_latency_ns, 2000);
	assert_int_equal(cfg.hmat[0].write_latency_ns, 250);
	assert_int_equal(cfg.hmat[0].read_bandwidth_mbs, 800);
	assert_int_equal(cfg.hmat[0].write_bandwidth_mbs, 1048576);
	config_free(&cfg);
}

static void test_kernel_files(void **state)
{
	struct ssivm_config cfg;
	struct captured c;
	char flags[256];
	const char *k = write_temp_cfg("not really a kernel");

	/* existence is checked here; what the file holds is boot_detect()'s business */
	snprintf(flags, sizeof(flags), "--kernel %s", k);
	parse_and_validate(&cfg, NULL, flags, CONFIG_NEED_KERNEL, &c);
	assert_int_equal(c.stage, 2);
	config_free(&cfg);
	snprintf(flags, sizeof(flags), "--kernel %s --initrd /tmp", k);
	parse_and_validate(&cfg, NULL, flags, CONFIG_NEED_KERNEL, &c);
	assert_int_equal(c.stage, 1);
	assert_non_null(strstr(c.err, "initrd '/tmp': not a regular file"));
	config_free(&cfg);
	unlink(k);
}

/* One bad configuration, the stage that must refuse it and its message. */
struct bad_case {
	const char *name;
	const char *file; /* NULL: none */
	const char *flags;
	int stage; /* 0 parse, 1 validate */
	const char *msg;
	int lines; /* error lines expected (0: don't count) */
};

#define NODES2 "--numa id=0,cpus=0,memory=1G --numa id=1,cpus=1,memory=1G "

static const struct bad_case bad_cases[] = {
    {"vcpu in two nodes", NULL, "--numa id=0,cpus=0-1,memory=1G --numa id=1,cpus=1-2,memory=1G", 1,
     "numa node 1: cpu 1 is already in node 0", 1},
    {"vcpu in two nodes (file)",
     "numa = ({ id = 0; cpus = \"0-1\"; memory = \"1G\"; },\n"
     "        { id = 1; cpus = [1, 2]; memory = \"1G\"; });\n",
     "", 1, "numa node 1: cpu 1 is already in node 0", 1},
    {"whole ranges in two nodes: one message per node pair", NULL,
     "--vcpus 8 --numa id=0,cpus=0-5,memory=1G --numa id=1,cpus=2-7:0,memory=1G "
     "--numa id=2,cpus=1:6:7:9:12,memory=1G",
     1, "numa node 1: cpus 0, 2-5 are already in node 0", 4},
    {"cpu twice in a node", NULL, "--numa id=0,cpus=0:0,memory=1G", 1,
     "numa node 0: cpu 0 is listed twice", 1},
    {"zero memory", NULL, "--numa id=0,cpus=0,memory=0", 1, "numa node 0: memory must be > 0", 1},
    {"memory missing", NULL, NODES2 "--numa id=2,cpus=2", 1, "numa node 2: memory must be > 0", 1},
    {"memory not 2M multiple", NULL, "--numa id=0,cpus=0,memory=3M", 1,
     "numa node 0: memory 3M is not a multiple of 2M", 1},
    {"bad size", NULL, "--numa id=0,cpus=0,memory=1X", 0,
     "--numa 'id=0,cpus=0,memory=1X': '1X' is not a size", 1},
    {"bad size (file)", "memory = \"lots\";\n", "", 0, ":1: memory: 'lots' is not a size", 1},
    {"bad --memory", NULL, "--memory 12Q", 0, "--memory: '12Q' is not a size", 1},
    {"asymmetric distances",
     "numa = ({ id = 0; cpus = \"0\"; memory = \"1G\"; distances = \"1@20\"; },\n"
     "        { id = 1; cpus = \"1\"; memory = \"1G\"; distances = \"0@30\"; });\n",
     "", 1, "distance 0->1 is 20 but 1->0 is 30: distances must be symmetric", 1},
    {"distance above 255", NULL,
     "--numa id=0,cpus=0,memory=1G,distances=1@300 --numa id=1,cpus=1,memory=1G", 0,
     "distance 0->1 = 300 is out of range 11..254", 1},
    {"distance 255 (unreachable)", NULL,
     "--numa id=0,cpus=0,memory=1G,distances=1@255 --numa id=1,cpus=1,memory=1G", 1,
     "distance 0->1 = 255 is out of range 11..254", 1},
    {"distance below 11", NULL,
     "--numa id=0,cpus=0,memory=1G,distances=1@10 --numa id=1,cpus=1,memory=1G", 1,
     "distance 0->1 = 10 is out of range 11..254", 1},
    {"local distance not 10", NULL, "--numa id=0,cpus=0,memory=1G,distances=0@12", 1,
     "distance 0->0 is 12: a node's distance to itself must be 10", 1},
    {"distance to a node that does not exist", NULL, "--numa id=0,cpus=0,memory=1G,distances=3@20",
     1, "numa node 0: distance to node 3, which does not exist", 1},
    {"distances syntax", NULL, "--numa id=0,cpus=0,memory=1G,distances=1-20", 0,
     "'1-20' is not NODE@DISTANCE", 1},
    {"missing kernel", NULL, "--kernel /nonexistent/vmlinuz", 1,
     "kernel '/nonexistent/vmlinuz': no such file", 1},
    {"missing initrd", "kernel = \"/dev/null\";\n", "--initrd /nonexistent/initrd.img", 1,
     "initrd '/nonexistent/initrd.img': no such file", 0},
    {"no kernel", NULL, "--vcpus 1", 1, "no kernel given", 1},
    {"serial log directory", NULL, "--kernel /etc/hostname --serial-log /nonexistent/dir/log", 1,
     "serial-log '/nonexistent/dir/log': directory '/nonexistent/dir' does not exist", 1},
    {"node ids not dense", NULL, "--numa id=0,cpus=0,memory=1G --numa id=2,cpus=1,memory=1G", 1,
     "numa node ids must be dense from 0: node 1 is missing", 1},
    {"non-dense ids do not hide other problems", NULL,
     "--numa id=0,cpus=0-1,memory=1G --numa id=1,cpus=1:2,memory=0 --numa id=3,memory=3M", 1,
     "numa node 3: memory 3M is not a multiple of 2M", 4},
    {"node id too large", NULL, "--numa id=64,cpus=0,memory=1G", 0,
     "numa node id 64 is out of range 0..63", 1},
    {"node defined twice (file)",
     "numa = ({ id = 0; memory = \"1G\"; },\n        { id = 0; memory = \"1G\"; });\n", "", 0,
     ":2: numa node 0 is defined twice", 1},
    {"node given twice (flags)", NULL, "--numa id=0,memory=1G --numa id=0,memory=2G", 0,
     "numa node 0 is given twice", 1},
    {"--numa without id", NULL, "--numa cpus=0,memory=1G", 0, "no id=", 1},
    {"vcpu in no node", NULL,
     "--vcpus 4 --numa id=0,cpus=0-1,memory=1G --numa id=1,cpus=2,memory=1G", 1,
     "vcpu 3 is in no NUMA node", 1},
    {"several vcpus in no node", NULL, "--vcpus 9 --numa id=0,cpus=0:2:4-5,memory=1G", 1,
     "vcpus 1, 3, 6-8 are in no NUMA node", 1},
    {"cpu that does not exist", NULL, "--vcpus 2 --numa id=0,cpus=0-2,memory=1G", 1,
     "numa node 0: cpu 2 does not exist (vcpus = 2)", 1},
    {"cpu range backwards", NULL, "--numa id=0,cpus=3-1,memory=1G", 0, "range 3-1 goes backwards",
     1},
    {"cpu out of range", NULL, "--numa id=0,cpus=0-300,memory=1G", 0,
     "cpu 300 is out of range 0..255", 1},
    {"too many vcpus", NULL, "--vcpus 300", 1, "vcpus = 300: 1..256 are supported", 1},
    {"zero vcpus", NULL, "--vcpus 0", 1, "vcpus = 0: 1..256 are supported", 0},
    {"vcpus not a number", NULL, "--vcpus four", 0, "--vcpus: 'four' is not a number", 1},
    {"vcpus wrong type (file)", "vcpus = \"four\";\n", "", 0,
     ":1: vcpus must be a number, not a string", 1},
    {"memory beyond what a host maps", NULL, "--memory 200T", 1,
     "total memory 200T is more than one host process can map", 1},
    {"--memory disagrees with nodes", NULL, "--memory 4G " NODES2, 0,
     "memory = 4G, but the NUMA nodes add up to 2G", 1},
    {"unknown key (file)", "vcpus = 2;\nvcpu = 2;\n", "", 0, ":2: unknown key 'vcpu'", 1},
    {"unknown node key (file)", "numa = ({ id = 0;\n  memroy = \"1G\"; });\n", "", 0,
     ":2: numa node 0: unknown key 'memroy'", 1},
    {"unknown node key (flag)", NULL, "--numa id=0,memroy=1G", 0, "unknown key 'memroy'", 1},
    {"unknown hmat key (flag)", NULL, "--hmat initiator=0,target=0,latncy=10", 0,
     "unknown key 'latncy'", 1},
    {"unknown hmat key (file)", "hmat = ({ initiator = 0; target = 0; latncy_ns = 5; });\n", "", 0,
     ":1: hmat 0->0: unknown key 'latncy_ns'", 1},
    {"malformed file", "vcpus = 2;\nnuma = ( { id = 0; memory = = \"1G\"; } );\n", "", 0,
     ":2: syntax error", 1},
    {"missing config file", NULL, "--config /nonexistent/x.cfg", 0,
     "config file '/nonexistent/x.cfg': No such file or directory", 1},
    {"config twice", NULL, "--config /a --config /b", 0, "--config given twice", 1},
    {"unknown option", NULL, "--frobnicate", 0, "unrecognized option", 0},
    {"stray argument", NULL, "examples/two-node.cfg", 0,
     "unexpected argument 'examples/two-node.cfg'", 1},
    {"hmat initiator without cpus", NULL,
     NODES2 "--numa id=2,memory=1G --hmat initiator=2,target=0,latency=100", 1,
     "hmat 2->0: initiator node 2 has no cpus", 1},
    {"hmat node that does not exist", NULL, NODES2 "--hmat initiator=0,target=5,latency=100", 1,
     "hmat 0->5: node 5 does not exist", 1},
    {"hmat without figures", NULL, NODES2 "--hmat initiator=0,target=1", 1,
     "hmat 0->1: no latency or bandwidth given", 1},
    {"hmat bad latency", NULL, NODES2 "--hmat initiator=0,target=1,read-latency=200xs", 0,
     "latency '200xs': write e.g. 200ns", 1},
    {"hmat zero bandwidth (file)",
     "hmat = ({ initiator = 0; target = 0; read_bandwidth_mbs = 0; });\n", "", 0,
     ":1: hmat 0->0: read_bandwidth_mbs = 0 is out of range", 1},
    {"hmat twice (file)",
     "hmat = ({ initiator = 0; target = 0; latency_ns = 5; },\n"
     "        { initiator = 0; target = 0; latency_ns = 6; });\n",
     "", 0, ":2: hmat 0->0 is given twice", 1},
    {"host with no NUMA node (flag)", NULL, NODES2 "--numa id=2,cpus=2,memory=1G,host=2", 1,
     "host 1 runs no NUMA node (the nodes name hosts up to 2)", 1},
    {"host with no NUMA node (file)",
     "numa = ({ id = 0; cpus = \"0\"; memory = \"1G\"; host = 0; },\n"
     "        { id = 1; cpus = \"1\"; memory = \"1G\"; host = 3; });\n",
     "", 1, "host 1 runs no NUMA node", 2},
    {"host beyond the cluster limit", NULL, "--numa id=0,cpus=0,memory=1G,host=64", 1,
     "host = 64, but a cluster has at most 64 hosts", 1},
    {"boot vCPU not on host 0", NULL,
     "--numa id=0,cpus=1,memory=1G --numa id=1,cpus=0,memory=1G,host=1", 1,
     "vcpu 0 (the boot vCPU) is in numa node 1 on host 1: it must run on host 0", 1},
    {"host addresses fewer than hosts", NULL,
     NODES2 "--numa id=2,cpus=2,memory=1G,host=1 --hosts 10.0.0.1", 1,
     "cluster.hosts lists 1 address, but the NUMA nodes run on 2 hosts", 1},
    {"host addresses more than hosts (file)",
     "cluster = { hosts = [\"10.0.0.1\", \"10.0.0.2\", \"10.0.0.3\"]; };\n"
     "numa = ({ id = 0; cpus = \"0\"; memory = \"1G\"; },\n"
     "        { id = 1; cpus = \"1\"; memory = \"1G\"; host = 1; });\n",
     "", 1, "cluster.hosts lists 3 addresses, but the NUMA nodes run on 2 hosts", 1},
    {"two hosts on one address and port", NULL,
     NODES2 "--numa id=2,cpus=2,memory=1G,host=1 --hosts 10.0.0.1:7000,10.0.0.1:7000", 1,
     "hosts 0 and 1 both have address 10.0.0.1:7000: give them different ports", 1},
    {"bad fabric", NULL, "--fabric ib", 0, "--fabric: fabric 'ib': expected tcp, shm or auto", 1},
    {"bad fabric (file)", "cluster = { fabric = \"rdma\"; };\n", "", 0,
     ":1: cluster: fabric 'rdma': expected tcp, shm or auto", 1},
    {"bad dsm policy", NULL, "--dsm-policy replication=7", 0, "not a valid DSM policy", 0},
    {"unknown cluster key (file)", "cluster = { nodes = 3; };\n", "", 0,
     ":1: cluster: unknown key 'nodes' (known: hosts, fabric", 1},
    {"cluster port out of range (file)", "cluster = { port = 70000; };\n", "", 0,
     "port = 70000: expected 1..", 1},
    {"empty host address", NULL, "--hosts 10.0.0.1,,10.0.0.2", 0, "hosts: an empty", 1},
    {"cluster not a group (file)", "cluster = 3;\n", "", 0, "cluster must be a group", 1},
    {"heartbeat longer than a third of the peer timeout (file)",
     "cluster = { peer_timeout_ms = 1000; heartbeat_ms = 500; };\n", "", 1,
     "peer_timeout_ms = 1000 must be at least 3 heartbeats", 1},
    {"host not a number (flag)", NULL, "--numa id=0,cpus=0,memory=1G,host=a", 0,
     "'a' is not a number", 1},
    {"two broken rules, two messages", NULL,
     "--numa id=0,cpus=0,memory=0,distances=1@20 --numa id=1,cpus=1,memory=1G,distances=0@30", 1,
     "numa node 0: memory must be > 0", 2},
};

static void test_bad_configs(void **state)
{
	int failures = 0;

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *b = &bad_cases[i];
		unsigned int vflags = strstr(b->flags, "kernel") || strstr(b->name, "kernel") ||
					      (b->file && strstr(b->file, "kernel"))
					  ? CONFIG_NEED_KERNEL
					  : 0;
		struct ssivm_config cfg;
		struct captured c;
		bool ok;

		parse_and_validate(&cfg, b->file, b->flags, vflags, &c);
		ok = c.ret == -EINVAL && c.stage == b->stage && strstr(c.err, b->msg) &&
		     (!b->lines || c.lines == b->lines);
		printf("%s %s\n", ok ? "ok  " : "FAIL", b->name);
		if (!ok) {
			printf(
			    "     want stage %d, %d line(s), message '%s'\n     got ret %d stage "
			    "%d, %d line(s):\n%s",
			    b->stage, b->lines, b->msg, c.ret, c.stage, c.lines, c.err);
			failures++;
		}
		config_free(&cfg);
	}
	assert_int_equal(failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_file_two_nodes),      cmocka_unit_test(test_flags_only),
	    cmocka_unit_test(test_flags_override_file), cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_sizes_and_units),     cmocka_unit_test(test_kernel_files),
	    cmocka_unit_test(test_bad_configs),         cmocka_unit_test(test_config_position),
	    cmocka_unit_test(test_extra_options),       cmocka_unit_test(test_examples),
	    cmocka_unit_test(test_host_zero),           cmocka_unit_test(test_cluster),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
