/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * devices/pci.h — the PCI host bridge: configuration space of bus 0 through
 * the type-1 ports and ECAM, and the window the devices' memory BARs live in.
 *
 *   ports 0xCF8-0xCFF  type 1: dword address register at 0xCF8 (bit 31
 *                      enable, bus 23:16, device 15:11, function 10:8,
 *                      register 7:2), data at 0xCFC-0xCFF (byte, word,
 *                      dword). A byte access to 0xCF9 is the ACPI reset
 *                      register instead (devices/power.h, power_reset_access).
 *   ECAM               [MEMMAP_PCI_ECAM_START, +1 MiB): bus 0 (the MCFG
 *                      table names only bus 0), 4 KiB per function.
 *   BAR window         [MEMMAP_PCI_MMIO_START, +MEMMAP_PCI_MMIO_SIZE): the
 *                      bridge claims it whole on the MMIO bus and dispatches
 *                      each access to the BAR that holds it, as the guest
 *                      programmed it, when the device's memory decode
 *                      (command bit 1) is on. BARs are 32-bit memory BARs,
 *                      placed at start-up (naturally aligned, in
 *                      registration order); the guest may move them.
 *
 * Device 0 is the host bridge itself (class 0x0600). A read of an absent
 * device or function returns all ones; a write to an absent function or to
 * bits that are read-only is ignored and counted (struct pci_stats).
 * Devices are single-function (header type 0x00), 256 bytes of config
 * space; ECAM reads past 256 return 0.
 *
 * The decode (pci_cfg_read/write, pci_mmio_access) is pure logic on a
 * struct pci_bus and is what the unit tests drive; pci_bus_attach() puts a
 * bus on a machine. Devices call pci_register() from their DEVICE_INIT
 * function (level DEVICE_LEVEL_DEV or later; the bridge is at
 * DEVICE_LEVEL_PLATFORM). Accesses may come on any vCPU thread: the bus
 * locks its own state; BAR handlers are called with the bus's read lock held
 * and lock their own state.
 */
#ifndef SSIVM_DEVICES_PCI_H
#define SSIVM_DEVICES_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/bus.h"

#define PCI_CFG_SPACE 256 /* bytes of config space per function */
#define PCI_MAX_DEVICES 32
#define PCI_NR_BARS 6

/* Config-space offsets and bits used here. */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS 0x06
#define PCI_STATUS_CAP_LIST 0x0010
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_CACHE_LINE_SIZE 0x0C
#define PCI_LATENCY_TIMER 0x0D
#define PCI_HEADER_TYPE 0x0E
#define PCI_BAR0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2C
#define PCI_SUBSYSTEM_ID 0x2E
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3C
#define PCI_INTERRUPT_PIN 0x3D
#define PCI_CAP_ID_MSIX 0x11
#define PCI_CAP_ID_VNDR 0x09

#define PCI_HOST_VENDOR 0x1B36 /* the host bridge: 1b36:0008, a PCIe host bridge */
#define PCI_HOST_DEVICE 0x0008

/* One memory BAR of a device: size a power of two >= 4 KiB, 0 = unused. */
struct pci_bar {
	uint32_t size;
	/* Access at @off inside the BAR (1, 2, 4 or 8 bytes, not crossing
	 * its end). Same contract as io_handler_fn, with an offset. */
	int (*fn)(void *opaque, uint32_t cpu, uint64_t off, void *data, uint32_t len,
		  bool is_write);
	void *opaque;
};

struct pci_dev {
	const char *name;
	uint8_t cfg[PCI_CFG_SPACE];   /* current contents */
	uint8_t wmask[PCI_CFG_SPACE]; /* bits the guest may change */
	struct pci_bar bars[PCI_NR_BARS];
	/* Optional: called after a guest write to [off, off + len) changed
	 * cfg (e.g. the MSI-X control word), with the bus lock held. */
	void (*cfg_written)(struct pci_dev *d, uint32_t off, uint32_t len);
	void *opaque;
	uint8_t slot;     /* device number on bus 0, set by pci_dev_add() */
	uint16_t cap_end; /* where the next capability goes (0: 0x40) */
};

struct pci_stats {
	uint64_t cfg_reads, cfg_writes; /* accesses to present functions */
	uint64_t absent_reads;          /* reads of absent functions (all ones) */
	uint64_t ignored_writes;        /* to absent functions, or only read-only bits */
	uint64_t bad_accesses;          /* bad width or alignment, disabled type-1 cycles */
	uint64_t bar_unclaimed;         /* window accesses no enabled BAR holds */
};

struct pci_bus {
	pthread_rwlock_t lock; /* config writes: write; BAR dispatch, reads: read */
	struct pci_dev *devs[PCI_MAX_DEVICES];
	uint32_t nr_devs;
	uint64_t mmio_base, mmio_size, next_bar; /* the BAR window, next free address */
	uint64_t ecam_base;                      /* guest-physical base of bus 0's ECAM */
	uint32_t cf8;                            /* type-1 address register */
	/* A byte access to port 0xCF9 (the reset register, not PCI): set by
	 * the bridge to power_reset_access(); NULL = read 0, write dropped. */
	int (*cf9)(void *ctx, uint8_t *data, bool is_write);
	void *cf9_ctx;
	struct pci_stats stats; /* updated atomically */
	struct pci_dev host;    /* device 0 */
};

/* An empty bus with the host bridge at device 0, BARs placed in
 * [mmio_base, +mmio_size), ECAM at @ecam_base (for pci_ecam_access). */
void pci_bus_init(struct pci_bus *bus, uint64_t mmio_base, uint64_t mmio_size, uint64_t ecam_base);
void pci_bus_destroy(struct pci_bus *bus);

/*
 * Plug @d in at the next free device number: checks the header (vendor ID
 * not 0/0xffff, header type 0), places its BARs and sets their write masks.
 * 0, -ENOSPC (32 devices, or the window is full), -EINVAL (bad BAR size,
 * bad header). Start-up only.
 */
int __must_check pci_dev_add(struct pci_bus *bus, struct pci_dev *d);

/* Fill in the standard header of @d: IDs, class, interrupt pin 0, the
 * writable command bits, cache line/latency/interrupt line. */
void pci_dev_init_header(struct pci_dev *d, uint16_t vendor, uint16_t device, uint32_t class_code,
			 uint8_t revision, uint16_t subsys_vendor, uint16_t subsys);
/* Append a capability of @len bytes (>= 2; ID and next are filled in) to the
 * list of @d; @body (may be NULL) gives bytes 2.. of it. Returns its offset,
 * or -ENOSPC. Start-up only. */
int pci_dev_add_cap(struct pci_dev *d, uint8_t id, const void *body, uint32_t len);

/*
 * Config access to bus 0, device @slot, function @fn, register @off, @len
 * bytes (1, 2 or 4, naturally aligned, @off < 4096). A read fills *val (all
 * ones for an absent function); a write to an absent function or to
 * read-only bits only is counted in ignored_writes. -EINVAL for a bad
 * width/alignment (counted in bad_accesses; a read gives all ones).
 */
int pci_cfg_read(struct pci_bus *bus, uint32_t slot, uint32_t fn, uint32_t off, uint32_t len,
		 uint32_t *val);
int pci_cfg_write(struct pci_bus *bus, uint32_t slot, uint32_t fn, uint32_t off, uint32_t len,
		  uint32_t val);

/* An access to the BAR window at guest-physical @addr: to the enabled BAR
 * holding it, else all ones/dropped and counted. 0 or the handler's -errno. */
int pci_mmio_access(struct pci_bus *bus, uint32_t cpu, uint64_t addr, void *data, uint32_t len,
		    bool is_write);

/* The type-1 ports (0xCF8-0xCFF) and the ECAM window, as bus handlers
 * (@opaque is the struct pci_bus; @addr absolute). A byte access to 0xCF9
 * goes to bus->cf9. */
int pci_type1_access(uint32_t cpu, uint64_t port, void *data, uint32_t len, bool is_write,
		     void *opaque);
int pci_ecam_access(uint32_t cpu, uint64_t addr, void *data, uint32_t len, bool is_write,
		    void *opaque);

void pci_get_stats(struct pci_bus *bus, struct pci_stats *out);

/*
 * The machine's bus (made by the bridge's DEVICE_INIT at
 * DEVICE_LEVEL_PLATFORM): devices register with pci_register(), which is
 * pci_dev_add() on it. NULL before the bridge is up.
 */
struct machine;
struct pci_bus *pci_machine_bus(struct machine *m);
int __must_check pci_register(struct machine *m, struct pci_dev *d);

#endif
