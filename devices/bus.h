/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * devices/bus.h — the port-I/O and MMIO buses, and device registration.
 *
 * Every device claims address ranges on one of two buses of a vm: the
 * port-I/O bus (ports 0..0xffff) and the MMIO bus (guest-physical
 * addresses that are not RAM). A vCPU exit (KVM_EXIT_IO / KVM_EXIT_MMIO) is
 * dispatched once, by address range, to the one handler that claimed it.
 *
 * Handler: `fn(cpu, addr, data, len, is_write, opaque)`, where @cpu is the
 * index of the vCPU that made the access (so a per-vCPU device, e.g. a
 * userspace LAPIC at 0xFEE00000, knows which vCPU it is), on that vCPU's
 * thread, or on the thread that serves accesses forwarded from vCPUs of
 * other nodes. @addr is the ABSOLUTE port or
 * guest-physical address (not an offset), @data is @len bytes (1, 2, 4 or 8
 * for PIO/MMIO; little-endian), to fill on a read, to consume on a write.
 * Return 0, or -errno: the access is then treated like an unclaimed one
 * (reads all ones) and counted as a device error; never fatal. Handlers of
 * one device may run concurrently on several vCPU threads: a device locks
 * its own state.
 *
 * An access nobody claimed behaves like an empty bus: reads return all
 * ones, writes are dropped. Each is counted; the first access to a given
 * address is logged at info, the rest at debug (Linux probes many legacy
 * ports). Not fatal.
 *
 * Registration happens at start-up, before vm_run(): devices register
 * themselves with DEVICE_INIT(level, fn); vm_create() calls every fn in
 * level order (then in link order) with the machine (devices/machine.h)
 * after the VM, its irqchip and its vCPUs exist. During vm_run() the buses are read-only, so lookups take no
 * lock (sorted array + binary search).
 */
#ifndef SSIVM_DEVICES_BUS_H
#define SSIVM_DEVICES_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;

#ifndef __must_check
#define __must_check __attribute__((warn_unused_result))
#endif

typedef int (*io_handler_fn)(uint32_t cpu, uint64_t addr, void *data, uint32_t len, bool is_write,
			     void *opaque);

struct io_region {
	uint64_t base;
	uint64_t len;
	io_handler_fn fn;
	void *opaque;
	const char *name; /* for logs; not copied */
};

/* A bus: usable on its own (unit tests), embedded twice in struct vm. */
struct io_bus {
	const char *name;          /* "pio" or "mmio" */
	struct io_region *regions; /* sorted by base, non-overlapping */
	uint32_t nr, cap;
	/* counters (updated atomically) */
	uint64_t nr_unclaimed; /* accesses nobody claimed */
	uint64_t nr_errors;    /* handler returned -errno */
	/* addresses already reported as unclaimed (small open hash) */
	uint64_t *seen;
	uint32_t seen_cap;
	int seen_lock; /* spin flag, taken only on the unclaimed path */
};

void io_bus_init(struct io_bus *bus, const char *name);
void io_bus_free(struct io_bus *bus);

/*
 * Claim [base, base+len) on @bus. -EBUSY if it overlaps a claimed range,
 * -EINVAL for len 0 or wrap-around, -ENOMEM. Start-up only (not thread
 * safe against io_bus_access()).
 */
int __must_check io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len, io_handler_fn fn,
				 void *opaque, const char *name);
/* Release the range starting exactly at @base. 0 or -ENOENT. Start-up only. */
int io_bus_unregister(struct io_bus *bus, uint64_t base);
/* The region holding @addr, or NULL. */
const struct io_region *io_bus_find(const struct io_bus *bus, uint64_t addr);

/*
 * Dispatch one access. An access must lie wholly inside one region; one
 * that straddles two regions or runs off the end is treated as unclaimed.
 * Returns true if a handler took it without error. Never fails otherwise:
 * reads of unclaimed space are filled with 0xff.
 */
bool io_bus_access(struct io_bus *bus, uint32_t cpu, uint64_t addr, void *data, uint32_t len,
		   bool is_write);

/* Device registration: one init function per device, called by vm_create(). */
enum device_level {
	DEVICE_LEVEL_PLATFORM = 0, /* power, exit port */
	DEVICE_LEVEL_DEV,          /* serial, ... */
	DEVICE_LEVEL_LATE,
};

struct device_init {
	const char *name;
	enum device_level level;
	/* Register ranges, irq lines, threads. 0, or -errno to fail vm_create
	 * (the function prints why). Main thread. */
	int (*init)(struct machine *m);
	/* Optional: release what init took; called by vm_destroy() in reverse
	 * order, only for devices whose init succeeded. */
	void (*exit)(struct machine *m);
	struct device_init *next;
};

void device_init_register(struct device_init *d);
/* Run every registered init (level order); on failure, undo the ones done. */
int devices_init_all(struct machine *m);
void devices_exit_all(struct machine *m);

#define DEVICE_INIT(_name, _level, _init, _exit)                                                   \
	static struct device_init devinit_##_init = {                                              \
	    .name = _name, .level = _level, .init = _init, .exit = _exit};                         \
	__attribute__((constructor)) static void devinit_register_##_init(void)                    \
	{                                                                                          \
		device_init_register(&devinit_##_init);                                            \
	}

#endif
