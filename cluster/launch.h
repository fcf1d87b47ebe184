/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cluster/launch.h — how `ssivm run` starts a guest that spans hosts
 * (docs/cluster.md, "Launching"):
 *
 *   --node K                 this process is host K (one per host, same
 *                            configuration, cluster.hosts gives the addresses)
 *   SLURM_PROCID/SLURM_NTASKS, PMIX_RANK
 *                            the same, the rank from a launcher
 *                            (`srun -N2 ssivm run --config x.cfg`)
 *   neither                  a local try-out: the whole cluster on this
 *                            machine, one child process per host, each in a
 *                            network namespace of its own joined by veth to
 *                            a bridge (--fabric tcp/auto), or all on shared
 *                            memory (--fabric shm); node 0 has the terminal,
 *                            every node a log; the exit status is the guest's.
 */
#ifndef SSIVM_CLUSTER_LAUNCH_H
#define SSIVM_CLUSTER_LAUNCH_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"

/*
 * Which host this process is: @node_opt (>= 0: --node was given), else the
 * launcher's environment. Returns the host, -1 for "none: start a local
 * cluster", or -2 after an error (printed: a rank out of range, a task count
 * that is not the number of hosts).
 */
int span_which_node(const struct ssivm_config *cfg, int node_opt);

/*
 * The local try-out: start one `ssivm run --node K` per host of @cfg
 * (argv[0..argc) are the run subcommand's arguments, passed on), wait for
 * them, clean up. @log_dir: NULL for the default ($XDG_RUNTIME_DIR/ssivm or
 * /tmp, a directory per run). Returns node 0's exit status (the guest's),
 * or 1 when the cluster could not be set up.
 */
int span_launch_local(const struct ssivm_config *cfg, int argc, char **argv, const char *log_dir);

#endif
