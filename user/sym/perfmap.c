// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/units.h"
#include "sym/perfmap.h"
#include "lib/vec.h"

/* Overlapping entries looked at backwards from the nearest start. */
#define OVERLAP_SCAN 64
#define PARTIAL_MAX  (1 << 20)

void perfmap_init(struct perfmap *m)
{
	memset(m, 0, sizeof(*m));
	m->fd = -1;
}

void perfmap_free(struct perfmap *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->e[i].name);
	free(m->e);
	free(m->partial);
	if (m->fd >= 0)
		close(m->fd);
	perfmap_init(m);
}

/* A hexadecimal field ("7f00ab", "0x7f00ab") and the blanks after it. */
static int hex_field(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	int digits = 0, d;

	if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (*v = 0; s < end && (d = hex_digit(*s)) >= 0; s++, digits++) {
		if (*v >> 60)
			return -EINVAL;
		*v = *v << 4 | d;
	}
	if (!digits || s == end || (*s != ' ' && *s != '\t'))
		return -EINVAL;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	*p = s;
	return 0;
}

int perfmap_parse_line(const char *line, size_t len, uint64_t *start,
		       uint64_t *size, const char **name, size_t *name_len)
{
	const char *p = line, *end = line + len;

	while (end > p &&
	       (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (hex_field(&p, end, start) || hex_field(&p, end, size) || !*size ||
	    p == end || *start + *size < *start)
		return -EINVAL;
	*name = p;
	*name_len = end - p;
	return 0;
}

static int add_entry(struct perfmap *m, uint64_t start, uint64_t size,
		     const char *name, size_t name_len)
{
	struct perfmap_entry *e;

	if (VEC_ROOM(&m->e, &m->n, &m->cap))
		return -ENOMEM;
	e = &m->e[m->n];
	e->name = strndup(name, name_len);
	if (!e->name)
		return -ENOMEM;
	e->start = start;
	e->size = size;
	e->seq = m->lines;
	m->n++;
	m->sorted = false;
	m->gen++;
	return 0;
}

static int add_line(struct perfmap *m, const char *line, size_t len)
{
	uint64_t start, size;
	const char *name;
	size_t name_len;

	m->lines++;
	if (perfmap_parse_line(line, len, &start, &size, &name, &name_len))
		return 0; /* a line we cannot use is skipped, not fatal */
	if (m->n >= PERFMAP_MAX_ENTRIES) {
		m->full = true;
		return 0;
	}
	return add_entry(m, start, size, name, name_len);
}

/* A line split across two reads: complete it with the new text. */
static int finish_partial(struct perfmap *m, const char *buf, size_t len)
{
	char *p = realloc(m->partial, m->partial_len + len);
	int err;

	if (!p)
		return -ENOMEM;
	memcpy(p + m->partial_len, buf, len);
	err = add_line(m, p, m->partial_len + len);
	free(p);
	m->partial = NULL;
	m->partial_len = 0;
	return err;
}

static int keep_partial(struct perfmap *m, const char *buf, size_t len)
{
	char *p;

	/* No symbol line is that long: the file is not a perf map. */
	if (m->partial_len + len > PARTIAL_MAX) {
		m->full = true;
		return 0;
	}
	p = realloc(m->partial, m->partial_len + len);
	if (!p)
		return -ENOMEM;
	memcpy(p + m->partial_len, buf, len);
	m->partial = p;
	m->partial_len += len;
	return 0;
}

int perfmap_feed(struct perfmap *m, const char *buf, size_t len)
{
	const char *end = buf + len;
	int err = 0;

	while (buf < end && !err) {
		const char *nl = memchr(buf, '\n', end - buf);

		if (!nl)
			return keep_partial(m, buf, end - buf);
		if (m->partial_len)
			err = finish_partial(m, buf, nl - buf);
		else
			err = add_line(m, buf, nl - buf);
		buf = nl + 1;
	}
	return err;
}

int perfmap_update(struct perfmap *m)
{
	char buf[16384];
	ssize_t n;
	int err = 0;

	if (m->fd < 0)
		return -EBADF;
	while (!err && !m->full && (n = read(m->fd, buf, sizeof(buf))) > 0)
		err = perfmap_feed(m, buf, n);
	return err;
}

int perfmap_open(struct perfmap *m, const char *path)
{
	if (m->fd >= 0)
		return perfmap_update(m);
	m->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (m->fd < 0)
		return -errno;
	return perfmap_update(m);
}

static int by_start(const void *a, const void *b)
{
	const struct perfmap_entry *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The last entry starting at or below addr, or -1. */
static long last_at_or_below(const struct perfmap *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->e[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

const struct perfmap_entry *perfmap_find(struct perfmap *m, uint64_t addr)
{
	const struct perfmap_entry *best = NULL;
	long i, stop;

	if (!m->n)
		return NULL; /* and qsort must not get a NULL array */
	if (!m->sorted) {
		qsort(m->e, m->n, sizeof(*m->e), by_start);
		m->sorted = true;
	}
	i = last_at_or_below(m, addr);
	/* Code regenerated over older code: the newest line covering wins. */
	for (stop = i - OVERLAP_SCAN; i >= 0 && i > stop; i--) {
		const struct perfmap_entry *e = &m->e[i];

		if (addr - e->start < e->size && (!best || e->seq > best->seq))
			best = e;
	}
	return best;
}
