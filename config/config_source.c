// SPDX-License-Identifier: GPL-2.0-only
/*
 * config/config_source.c — the text libconfig parses: the --config file with
 * the files it @includes spliced in, read with limits and with its integers
 * marked so that libconfig 1.5 reads them as 64-bit values.
 *
 * Why not let libconfig read the file: libconfig 1.5 (Debian 12) reads an
 * integer without an `L` suffix as a 32-bit int and wraps it silently
 * (`memory = 4563402752;` becomes 256 MiB); a directory given as a file ends
 * the process inside its flex scanner ("input in flex scanner failed", exit
 * 2, no file name); and it is quadratic in the settings of one group (100,000
 * keys take 80 s). So the files are read here: each must be a regular file,
 * all of them together at most CONFIG_MAX_BYTES, a group at most
 * CONFIG_MAX_GROUP_KEYS settings; an integer that does not fit 32 bits gets
 * the `L` suffix (libconfig's int64 type), one that does not fit 64 bits is
 * refused naming the key and the line. Lines are never added or removed
 * inside a file, so every line of the text maps back to a file and a line.
 */
#include "config/config_priv.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

#define MAX_DEPTH_TRACKED 64 /* nesting levels whose settings are counted */

struct frame {
	char kind; /* 'g' group or the root, 'l' list, 'a' array */
	uint32_t keys;
};

/* One file being spliced in. */
struct file_scan {
	struct cfg_source *src;
	uint32_t file; /* index in src->files */
	const char *buf;
	size_t len, i;
	uint32_t line;
	int depth;    /* of @include */
	char key[64]; /* the last setting name, for messages */
	struct frame stack[MAX_DEPTH_TRACKED];
	int sp;
};

__attribute__((format(printf, 3, 4))) static void src_err(struct cfg_source *src, const char *where,
							  const char *fmt, ...)
{
	char msg[CONFIG_ERRLEN * 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_err("%s%s", where, msg);
	src->errors++;
}

static int emit(struct cfg_source *src, const char *s, size_t n)
{
	if (src->len + n + 1 > src->cap) {
		size_t cap = src->cap ? src->cap : 4096;
		char *t;

		while (cap < src->len + n + 1)
			cap *= 2;
		t = realloc(src->text, cap);
		if (!t)
			return -ENOMEM;
		src->text = t;
		src->cap = cap;
	}
	memcpy(src->text + src->len, s, n);
	src->len += n;
	src->text[src->len] = 0;
	return 0;
}

/* From output line src->out_line on, lines are @file's from @line on. */
static int add_span(struct cfg_source *src, uint32_t file, uint32_t line)
{
	if (src->nr_spans && src->spans[src->nr_spans - 1].out_line == src->out_line)
		src->nr_spans--; /* the previous span had no line of its own */
	if (src->nr_spans == src->cap_spans) {
		uint32_t cap = src->cap_spans ? src->cap_spans * 2 : 8;
		struct cfg_span *s = realloc(src->spans, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		src->spans = s;
		src->cap_spans = cap;
	}
	src->spans[src->nr_spans++] =
	    (struct cfg_span){.out_line = src->out_line, .file = file, .line = line};
	return 0;
}

void cfg_source_where(const struct cfg_source *src, unsigned int out_line, const char **file,
		      unsigned int *line)
{
	uint32_t lo = 0, hi = src->nr_spans;

	*file = src->nr_files ? src->files[0] : "?";
	*line = out_line;
	while (hi - lo > 1) { /* the last span starting at or before out_line */
		uint32_t mid = (lo + hi) / 2;

		if (src->spans[mid].out_line <= out_line)
			lo = mid;
		else
			hi = mid;
	}
	if (src->nr_spans && src->spans[lo].out_line <= out_line) {
		*file = src->files[src->spans[lo].file];
		*line = src->spans[lo].line + (out_line - src->spans[lo].out_line);
	}
}

/* "FILE:LINE: " of the current position of @fs. */
static const char *here(const struct file_scan *fs, char buf[PATH_MAX + 32])
{
	snprintf(buf, PATH_MAX + 32, "%s:%u: ", fs->src->files[fs->file], fs->line);
	return buf;
}

static int read_file(struct cfg_source *src, const char *path, const char *where, uint32_t index);

/* Copy b[i..j) to the output, counting the newlines in it. */
static int copy_span(struct file_scan *fs, size_t j)
{
	for (size_t k = fs->i; k < j; k++) {
		if (fs->buf[k] == '\n') {
			fs->line++;
			fs->src->out_line++;
		}
	}
	if (emit(fs->src, fs->buf + fs->i, j - fs->i))
		return -ENOMEM;
	fs->i = j;
	return 0;
}

/* Value of the integer literal @t (@n bytes, no sign); -ERANGE past INT64. */
static int literal_value(const char *t, size_t n, bool neg, bool hex, int64_t *out)
{
	uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	unsigned base = hex ? 16 : 10;

	for (size_t k = 0; k < n; k++) {
		unsigned d = isdigit((unsigned char)t[k])
				 ? (unsigned)(t[k] - '0')
				 : (unsigned)(tolower((unsigned char)t[k]) - 'a' + 10);

		if (v > (lim - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/*
 * A number: libconfig 1.5 takes [-+]?[0-9]+ and 0x[0-9a-f]+ as 32-bit ints
 * (wrapping), the same with L or LL as 64-bit. Append the L where the value
 * needs it; refuse what does not fit 64 bits. Floats and anything else pass
 * unchanged (libconfig judges them).
 */
static int scan_number(struct file_scan *fs)
{
	const char *b = fs->buf;
	size_t i = fs->i, j = i, dstart, dend;
	bool neg = false, hex;
	char where[PATH_MAX + 32];
	int64_t v;

	if (b[j] == '+' || b[j] == '-')
		neg = b[j++] == '-';
	hex = b[j] == '0' && j + 1 < fs->len && (b[j + 1] == 'x' || b[j + 1] == 'X');
	while (j < fs->len &&
	       (isalnum((unsigned char)b[j]) || b[j] == '.' || b[j] == '_' ||
		(!hex && (b[j] == '+' || b[j] == '-') && (b[j - 1] == 'e' || b[j - 1] == 'E'))))
		j++;
	dstart = i + (b[i] == '+' || b[i] == '-') + (hex ? 2 : 0);
	dend = dstart;
	while (dend < j &&
	       (hex ? isxdigit((unsigned char)b[dend]) : isdigit((unsigned char)b[dend])))
		dend++;
	bool suffix_l = (j - dend == 1 && b[dend] == 'L') ||
			(j - dend == 2 && b[dend] == 'L' && b[dend + 1] == 'L');

	if (dend == dstart || (dend != j && !suffix_l) || (hex && b[i] != '0'))
		return copy_span(fs, j); /* a float, or not a number libconfig knows */
	if (literal_value(b + dstart, dend - dstart, neg, hex, &v)) {
		src_err(fs->src, here(fs, where), "%s%s%.*s does not fit in 64 bits", fs->key,
			fs->key[0] ? ": " : "", (int)(j - i), b + i);
		return copy_span(fs, j);
	}
	if (copy_span(fs, j))
		return -ENOMEM;
	if (!suffix_l && (v > INT32_MAX || v < INT32_MIN))
		return emit(fs->src, "L", 1); /* libconfig's 64-bit integer */
	return 0;
}

/* A setting name: count it in its group when '=' or ':' follows. */
static int scan_name(struct file_scan *fs)
{
	const char *b = fs->buf;
	size_t j = fs->i, k;
	char where[PATH_MAX + 32];

	while (j < fs->len &&
	       (isalnum((unsigned char)b[j]) || b[j] == '-' || b[j] == '_' || b[j] == '*'))
		j++;
	for (k = j; k < fs->len && isspace((unsigned char)b[k]); k++)
		;
	if (k < fs->len && (b[k] == '=' || b[k] == ':')) {
		snprintf(fs->key, sizeof(fs->key), "%.*s", (int)(j - fs->i), b + fs->i);
		if (fs->sp < MAX_DEPTH_TRACKED && fs->stack[fs->sp].kind == 'g' &&
		    ++fs->stack[fs->sp].keys == CONFIG_MAX_GROUP_KEYS + 1)
			src_err(fs->src, here(fs, where),
				"more than %d settings in one group (libconfig takes time "
				"quadratic in them; ssivm knows far fewer keys)",
				CONFIG_MAX_GROUP_KEYS);
	}
	return copy_span(fs, j);
}

/* `@include "FILE"` at the start of a line: FILE's text goes here. */
static int scan_include(struct file_scan *fs)
{
	struct cfg_source *src = fs->src;
	const char *b = fs->buf;
	size_t j = fs->i + 8, start;
	char where[PATH_MAX + 32], path[PATH_MAX];
	uint32_t line = fs->line;
	int ret;

	here(fs, where);
	if (j >= fs->len || (b[j] != ' ' && b[j] != '\t')) {
		src_err(src, where, "@include must be followed by a file name in double quotes");
		return copy_span(fs, j);
	}
	while (j < fs->len && (b[j] == ' ' || b[j] == '\t'))
		j++;
	if (j >= fs->len || b[j] != '"') {
		src_err(src, where, "@include must be followed by a file name in double quotes");
		return copy_span(fs, j);
	}
	start = ++j;
	while (j < fs->len && b[j] != '"' && b[j] != '\n' && b[j] != '\\')
		j++;
	if (j >= fs->len || b[j] != '"' || j == start || j - start >= PATH_MAX - 1) {
		src_err(src, where,
			"@include: the file name must be in double quotes on one line, not empty, "
			"without backslashes");
		return copy_span(fs, j);
	}
	fs->i = j + 1; /* the directive itself is not passed on */
	if (fs->depth >= CONFIG_MAX_INCLUDE_DEPTH) {
		src_err(src, where, "@include nested more than %d deep", CONFIG_MAX_INCLUDE_DEPTH);
		return 0;
	}
	if (src->nr_files >= CONFIG_MAX_FILES) {
		src_err(src, where, "more than %d configuration files", CONFIG_MAX_FILES);
		return 0;
	}
	/* relative to the directory of the file that includes it */
	const char *cur = src->files[fs->file], *slash = strrchr(cur, '/');

	if (b[start] == '/' || !slash)
		snprintf(path, sizeof(path), "%.*s", (int)(j - start), b + start);
	else
		snprintf(path, sizeof(path), "%.*s/%.*s", (int)(slash - cur), cur, (int)(j - start),
			 b + start);
	ret = read_file(src, path, where, src->nr_files);
	if (ret == -ENOMEM)
		return ret;
	return add_span(src, fs->file, line);
}

static int scan(struct file_scan *fs)
{
	const char *b = fs->buf;
	bool bol = true; /* only blanks since the start of the line */
	int ret = 0;

	fs->stack[0].kind = 'g'; /* the root is a group */
	while (!ret && fs->i < fs->len) {
		char c = b[fs->i], d = fs->i + 1 < fs->len ? b[fs->i + 1] : 0;
		size_t j;

		if (c == '\n' || ((c == ' ' || c == '\t') && bol)) {
			bol = c == '\n' || bol;
			ret = copy_span(fs, fs->i + 1);
			continue;
		}
		if (bol && c == '@' && fs->len - fs->i >= 8 && !memcmp(b + fs->i, "@include", 8)) {
			bol = false;
			ret = scan_include(fs);
			continue;
		}
		bol = false;
		if (c == '#' || (c == '/' && d == '/')) {
			for (j = fs->i; j < fs->len && b[j] != '\n'; j++)
				;
			ret = copy_span(fs, j);
		} else if (c == '/' && d == '*') {
			for (j = fs->i + 2;
			     j < fs->len && !(b[j - 1] == '*' && b[j] == '/' && j - 1 > fs->i + 1);
			     j++)
				;
			ret = copy_span(fs, j < fs->len ? j + 1 : j);
		} else if (c == '"') {
			for (j = fs->i + 1; j < fs->len && b[j] != '"'; j++)
				if (b[j] == '\\' && j + 1 < fs->len)
					j++;
			ret = copy_span(fs, j < fs->len ? j + 1 : j);
		} else if (isalpha((unsigned char)c) || c == '*') {
			ret = scan_name(fs);
		} else if (isdigit((unsigned char)c) ||
			   ((c == '+' || c == '-' || c == '.') && isdigit((unsigned char)d))) {
			ret = scan_number(fs);
		} else {
			if (c == '{' || c == '(' || c == '[') {
				if (++fs->sp < MAX_DEPTH_TRACKED)
					fs->stack[fs->sp] =
					    (struct frame){.kind = c == '{'   ? 'g'
								   : c == '(' ? 'l'
									      : 'a'};
			} else if ((c == '}' || c == ')' || c == ']') && fs->sp > 0) {
				fs->sp--;
			}
			ret = copy_span(fs, fs->i + 1);
		}
	}
	if (!ret && fs->len && b[fs->len - 1] != '\n') {
		ret = emit(fs->src, "\n", 1); /* what follows an @include starts a line */
		fs->src->out_line++;
	}
	return ret;
}

static bool on_stack(const struct cfg_source *src, dev_t dev, ino_t ino)
{
	for (uint32_t k = 0; k < src->nr_open; k++)
		if (src->open_dev[k] == dev && src->open_ino[k] == ino)
			return true;
	return false;
}

/* Read @path (named at @where, "" for the --config file) and splice it in. */
static int read_file(struct cfg_source *src, const char *path, const char *where, uint32_t index)
{
	struct file_scan fs = {.src = src, .file = index, .line = 1, .depth = (int)src->nr_open};
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	int fd, ret;

	/* O_NONBLOCK: a FIFO must not block the open; it is refused below */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		src_err(src, where, "config file '%s': %s", path, strerror(errno));
		return -EINVAL;
	}
	if (fstat(fd, &st)) {
		src_err(src, where, "config file '%s': %s", path, strerror(errno));
		close(fd);
		return -EINVAL;
	}
	if (!S_ISREG(st.st_mode)) {
		src_err(src, where, "config file '%s': %s", path,
			S_ISDIR(st.st_mode) ? "is a directory, not a file" : "not a regular file");
		close(fd);
		return -EINVAL;
	}
	if (on_stack(src, st.st_dev, st.st_ino)) {
		src_err(src, where,
			"@include '%s': that file is being read already (it includes "
			"itself)",
			path);
		close(fd);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > CONFIG_MAX_BYTES - src->bytes) {
		src_err(src, where,
			"config file '%s': %lld bytes; the configuration files may hold %d KiB "
			"together (libconfig is slow on big files)",
			path, (long long)st.st_size, CONFIG_MAX_BYTES >> 10);
		close(fd);
		return -EINVAL;
	}
	buf = malloc((size_t)st.st_size + 1);
	src->files[index] = strdup(path);
	if (!buf || !src->files[index]) {
		free(buf);
		close(fd);
		return -ENOMEM;
	}
	src->nr_files++;
	n = read(fd, buf, (size_t)st.st_size + 1); /* one more: a file that grew */
	close(fd);
	if (n < 0 || n > st.st_size) {
		src_err(src, where, "config file '%s': %s", path,
			n < 0 ? strerror(errno) : "changed while it was read");
		free(buf);
		return -EINVAL;
	}
	if (memchr(buf, 0, (size_t)n)) {
		src_err(src, where, "config file '%s': contains a NUL byte (not a text file)",
			path);
		free(buf);
		return -EINVAL;
	}
	src->bytes += (size_t)n;
	fs.buf = buf;
	fs.len = (size_t)n;
	src->open_dev[src->nr_open] = st.st_dev;
	src->open_ino[src->nr_open++] = st.st_ino;
	ret = add_span(src, index, 1);
	if (!ret)
		ret = scan(&fs);
	src->nr_open--;
	free(buf);
	return ret;
}

int cfg_source_read(struct cfg_source *src, const char *path)
{
	int ret;

	memset(src, 0, sizeof(*src));
	src->out_line = 1;
	ret = read_file(src, path, "", 0);
	if (!ret && !src->text)
		ret = emit(src, "", 0); /* an empty file */
	if (ret == -ENOMEM)
		pr_err("config file '%s': out of memory", path);
	return ret ? ret : src->errors ? -EINVAL : 0;
}

void cfg_source_free(struct cfg_source *src)
{
	free(src->text);
	free(src->spans);
	for (uint32_t k = 0; k < src->nr_files; k++)
		free(src->files[k]);
	memset(src, 0, sizeof(*src));
}
