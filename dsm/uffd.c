// SPDX-License-Identifier: GPL-2.0-only
/* dsm/uffd.c — userfaultfd wrapper (see dsm/uffd.h). */
#include "dsm/uffd.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int uffd_open(struct uffd *u, void *base, size_t len, bool user_only)
{
	struct uffdio_api api = {.api = UFFD_API, .features = UFFD_FEATURE_PAGEFAULT_FLAG_WP};
	struct uffdio_register reg = {
	    .range = {.start = (uintptr_t)base, .len = len},
	    .mode = UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP,
	};
	int flags = O_CLOEXEC | O_NONBLOCK | (user_only ? UFFD_USER_MODE_ONLY : 0);
	int err;

	memset(u, 0, sizeof(*u));
	u->fd = -1;
	if (((uintptr_t)base | len) & (uintptr_t)(sysconf(_SC_PAGESIZE) - 1) || !len)
		return -EINVAL;
	u->fd = (int)syscall(SYS_userfaultfd, flags);
	if (u->fd < 0 && user_only && errno == EINVAL) { /* kernel without USER_MODE_ONLY */
		flags &= ~UFFD_USER_MODE_ONLY;
		u->fd = (int)syscall(SYS_userfaultfd, flags);
	}
	if (u->fd < 0)
		return -errno;
	/* UFFDIO_API may be called once per descriptor, and asking for a feature
	 * the kernel lacks fails it: learn the features on a probe descriptor. */
	{
		struct uffdio_api probe = {.api = UFFD_API};
		int pfd = (int)syscall(SYS_userfaultfd, flags);

		if (pfd >= 0) {
			if (ioctl(pfd, UFFDIO_API, &probe) == 0 &&
			    (probe.features & UFFD_FEATURE_MOVE))
				api.features |= UFFD_FEATURE_MOVE;
			if (probe.features & UFFD_FEATURE_THREAD_ID)
				api.features |= UFFD_FEATURE_THREAD_ID;
			close(pfd);
		}
	}
	if (ioctl(u->fd, UFFDIO_API, &api) < 0)
		goto fail;
	u->features = api.features;
	if (!(api.features & UFFD_FEATURE_PAGEFAULT_FLAG_WP)) {
		errno = EOPNOTSUPP;
		goto fail;
	}
	/* POISON is probed separately: asking for it on an old kernel fails the API call. */
	u->has_poison = false;
	if (ioctl(u->fd, UFFDIO_REGISTER, &reg) < 0)
		goto fail;
	if (!(reg.ioctls & ((__u64)1 << _UFFDIO_WRITEPROTECT)) ||
	    !(reg.ioctls & ((__u64)1 << _UFFDIO_COPY))) {
		errno = EOPNOTSUPP;
		goto fail;
	}
	u->has_poison = !!(reg.ioctls & ((__u64)1 << _UFFDIO_POISON));
	u->has_move =
	    (u->features & UFFD_FEATURE_MOVE) && (reg.ioctls & ((__u64)1 << _UFFDIO_MOVE));
	u->base = (uintptr_t)base;
	u->len = len;
	return 0;
fail:
	err = -errno;
	close(u->fd);
	u->fd = -1;
	return err;
}

int uffd_register_missing(struct uffd *u, void *base, size_t len)
{
	struct uffdio_register reg = {
	    .range = {.start = (uintptr_t)base, .len = len},
	    .mode = UFFDIO_REGISTER_MODE_MISSING,
	};

	return ioctl(u->fd, UFFDIO_REGISTER, &reg) < 0 ? -errno : 0;
}

int uffd_move(struct uffd *u, uintptr_t dst, uintptr_t src, size_t len)
{
	struct uffdio_move m = {.dst = dst, .src = src, .len = len};

	if (!u->has_move)
		return -EOPNOTSUPP;
	for (;;) {
		m.move = 0;
		if (ioctl(u->fd, UFFDIO_MOVE, &m) == 0)
			return 0;
		if (errno == EAGAIN || errno == EINTR)
			continue;
		return -errno;
	}
}

void uffd_close(struct uffd *u)
{
	if (u->fd < 0)
		return;
	if (u->len) {
		struct uffdio_range r = {.start = u->base, .len = u->len};
		ioctl(u->fd, UFFDIO_UNREGISTER, &r);
	}
	close(u->fd);
	u->fd = -1;
	u->len = 0;
}

int uffd_read_faults(struct uffd *u, struct uffd_fault *out, int max)
{
	struct uffd_msg msgs[16];
	int n = 0;

	while (n < max) {
		int want = max - n < 16 ? max - n : 16;
		ssize_t r = read(u->fd, msgs, sizeof(msgs[0]) * (size_t)want);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return n ? n : -errno;
		}
		if (r == 0 || r % (ssize_t)sizeof(msgs[0]))
			return n ? n : -EIO;
		for (int i = 0; i < r / (ssize_t)sizeof(msgs[0]); i++) {
			if (msgs[i].event != UFFD_EVENT_PAGEFAULT)
				continue;
			uint64_t fl = msgs[i].arg.pagefault.flags;
			out[n].addr = (uintptr_t)msgs[i].arg.pagefault.address & ~(uintptr_t)4095;
			out[n].write = !!(fl & UFFD_PAGEFAULT_FLAG_WRITE);
			out[n].wp = !!(fl & UFFD_PAGEFAULT_FLAG_WP);
			out[n].tid = (u->features & UFFD_FEATURE_THREAD_ID)
					 ? msgs[i].arg.pagefault.feat.ptid
					 : 0;
			n++;
		}
		if (r < (ssize_t)sizeof(msgs[0]) * want)
			break;
	}
	return n;
}

int uffd_copy(struct uffd *u, uintptr_t addr, const void *src, size_t len, bool writable,
	      bool dont_wake)
{
	struct uffdio_copy c = {
	    .dst = addr,
	    .src = (uintptr_t)src,
	    .len = len,
	    .mode =
		(writable ? 0 : UFFDIO_COPY_MODE_WP) | (dont_wake ? UFFDIO_COPY_MODE_DONTWAKE : 0),
	};

	for (;;) {
		c.copy = 0;
		if (ioctl(u->fd, UFFDIO_COPY, &c) == 0)
			return 0;
		if (errno == EAGAIN || errno == EINTR) /* mm changing under us: retry */
			continue;
		return -errno;
	}
}

int uffd_wp(struct uffd *u, uintptr_t addr, size_t len, bool protect, bool dont_wake)
{
	struct uffdio_writeprotect w = {
	    .range = {.start = addr, .len = len},
	    .mode = (protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0) |
		    /* the kernel refuses DONTWAKE together with WP */
		    (dont_wake && !protect ? UFFDIO_WRITEPROTECT_MODE_DONTWAKE : 0),
	};

	for (;;) {
		if (ioctl(u->fd, UFFDIO_WRITEPROTECT, &w) == 0)
			return 0;
		if (errno == EAGAIN || errno == EINTR)
			continue;
		return -errno;
	}
}

int uffd_wake(struct uffd *u, uintptr_t addr, size_t len)
{
	struct uffdio_range r = {.start = addr, .len = len};

	return ioctl(u->fd, UFFDIO_WAKE, &r) < 0 ? -errno : 0;
}

int uffd_drop(struct uffd *u, uintptr_t addr, size_t len)
{
	(void)u;
	return madvise((void *)addr, len, MADV_DONTNEED) < 0 ? -errno : 0;
}

int uffd_poison(struct uffd *u, uintptr_t addr, size_t len)
{
	struct uffdio_poison p = {.range = {.start = addr, .len = len}};

	if (!u->has_poison)
		return -EOPNOTSUPP;
	for (;;) {
		if (ioctl(u->fd, UFFDIO_POISON, &p) == 0)
			return 0;
		if (errno == EAGAIN || errno == EINTR)
			continue;
		return -errno;
	}
}
