/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dsm/uffd.h — thin, checked wrapper around userfaultfd(2) for the DSM runtime.
 *
 * One struct uffd per registered region. The region is registered for missing
 * and write-protect faults (UFFDIO_REGISTER_MODE_MISSING | _WP). Every call
 * returns 0 or -errno and never logs on the expected races (-EEXIST from a copy
 * onto a page that is already present, -EAGAIN while the mm changes); the
 * caller decides. Thread safety: the ioctls may be issued from any thread; the
 * DSM runtime issues them all from its one service thread.
 *
 * Needs root or vm.unprivileged_userfaultfd=1 (uffd_open returns -EPERM
 * otherwise; the caller should say so). Constants newer than the Debian 12
 * (6.1) headers are defined here when missing.
 */
#ifndef SSIVM_DSM_UFFD_H
#define SSIVM_DSM_UFFD_H

#include <linux/userfaultfd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13) /* 6.4 */
#endif
#ifndef UFFD_FEATURE_POISON
#define UFFD_FEATURE_POISON (1 << 14) /* 6.6 */
#endif
#ifndef UFFD_FEATURE_MOVE
#define UFFD_FEATURE_MOVE (1 << 16) /* 6.8 */
#endif
#ifndef _UFFDIO_MOVE
#define _UFFDIO_MOVE (0x05)
struct uffdio_move {
	__u64 dst;
	__u64 src;
	__u64 len;
#define UFFDIO_MOVE_MODE_DONTWAKE ((__u64)1 << 0)
#define UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES ((__u64)1 << 1)
	__u64 mode;
	__s64 move;
};
#define UFFDIO_MOVE _IOWR(UFFDIO, _UFFDIO_MOVE, struct uffdio_move)
#endif
#ifndef _UFFDIO_POISON
#define _UFFDIO_POISON (0x08)
struct uffdio_poison {
	struct uffdio_range range;
#define UFFDIO_POISON_MODE_DONTWAKE ((__u64)1 << 0)
	__u64 mode;
	__s64 updated;
};
#define UFFDIO_POISON _IOWR(UFFDIO, _UFFDIO_POISON, struct uffdio_poison)
#endif

struct uffd {
	int fd;
	uint64_t features; /* as granted by UFFDIO_API */
	bool has_poison;   /* UFFDIO_POISON usable (kernel >= 6.6) */
	bool has_move;     /* UFFDIO_MOVE usable (kernel >= 6.8) */
	uintptr_t base;
	size_t len;
};

/* One fault as read from the descriptor. */
struct uffd_fault {
	uintptr_t addr; /* page-aligned */
	bool write;     /* the access was a write */
	bool wp;        /* write-protect fault (page present, read-only) */
	uint32_t tid;   /* the faulting thread (UFFD_FEATURE_THREAD_ID), 0: unknown */
};

/*
 * Open a userfaultfd (non-blocking, close-on-exec), negotiate the API with
 * UFFD_FEATURE_PAGEFAULT_FLAG_WP and register [base, base+len) for missing and
 * write-protect faults. base and len must be page-aligned. user_only: open with
 * UFFD_USER_MODE_ONLY (faults raised by the kernel, e.g. KVM touching guest
 * memory, would then not be delivered: the VMM must pass false).
 */
int uffd_open(struct uffd *u, void *base, size_t len, bool user_only);
/* Register another range [base, base+len) on the same descriptor for missing
 * faults only (e.g. a staging area that UFFDIO_MOVE fills). It is not
 * unregistered by uffd_close (unmap it). */
int uffd_register_missing(struct uffd *u, void *base, size_t len);
/* Move the page(s) at src to dst (a missing range registered on u) in one
 * step: src becomes missing (its next access faults), dst holds the contents;
 * one TLB shootdown for src. -EOPNOTSUPP before Linux 6.8; -EBUSY when the
 * page cannot be moved (e.g. shared or pinned): fall back to copying. */
int uffd_move(struct uffd *u, uintptr_t dst, uintptr_t src, size_t len);
/* Unregister and close. Safe on a zeroed or already closed struct. */
void uffd_close(struct uffd *u);

/*
 * Read up to max fault events without blocking. Returns the number read (0 when
 * none is pending) or -errno. Events other than page faults are skipped.
 */
int uffd_read_faults(struct uffd *u, struct uffd_fault *out, int max);

/* Install a 4 KiB (page-size) page at addr with a copy of src; read-only (write
 * protected) unless writable. Wakes threads waiting on that page unless
 * dont_wake. -EEXIST: the page was already present (nothing changed). */
int uffd_copy(struct uffd *u, uintptr_t addr, const void *src, size_t len, bool writable,
	      bool dont_wake);
/* Set (protect=true) or clear write protection on [addr, addr+len). Clearing
 * wakes the threads waiting on that range unless dont_wake. */
int uffd_wp(struct uffd *u, uintptr_t addr, size_t len, bool protect, bool dont_wake);
/* Wake the threads waiting on [addr, addr+len) (they retry the access). */
int uffd_wake(struct uffd *u, uintptr_t addr, size_t len);
/* Drop the pages (MADV_DONTNEED): the next access faults as missing again. */
int uffd_drop(struct uffd *u, uintptr_t addr, size_t len);
/* Make [addr, addr+len) raise SIGBUS on access and wake its waiters (used to
 * fail accesses that can never be served). -EOPNOTSUPP on kernels < 6.6. */
int uffd_poison(struct uffd *u, uintptr_t addr, size_t len);

#endif
