// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include "python/census_mem.h"

/*
 * Two mappings can share a chunk (a 16 KiB read-only part of a library
 * and its data after it): which 1 KiB blocks of it were read, and which
 * were tried (read once, never again), are bitmaps; a read of blocks not
 * there fills in the part of its own mapping.
 */
#define BLOCK (CENSUS_CHUNK / 64)
struct chunk {
	uint64_t base;	      /* CENSUS_CHUNK-aligned */
	uint64_t have, tried; /* blocks read, blocks asked for */
	uint8_t *data;
};

/* The blocks [off, off + len) touches; whole: only those it covers. */
static uint64_t blocks(size_t off, size_t len, bool whole)
{
	size_t first = whole ? (off + BLOCK - 1) / BLOCK : off / BLOCK;
	size_t end =
		whole ? (off + len) / BLOCK : (off + len + BLOCK - 1) / BLOCK;
	uint64_t hi, lo;

	if (!len || first >= end)
		return 0;
	hi = end >= 64 ? ~0ull : (1ull << end) - 1;
	lo = (1ull << first) - 1;
	return hi & ~lo;
}

struct census_mem {
	struct census_src src;
	struct census_range *ranges;
	size_t n_ranges;
	struct chunk *chunks; /* slots, max_chunks of them */
	size_t n_chunks, max_chunks;
	int32_t *index; /* open addressing over chunks, -1: empty */
	size_t index_cap;
	struct census_mem_stats stats;
};

struct census_mem *census_mem_new(const struct census_src *src,
				  const struct census_range *ranges, size_t n,
				  size_t max_bytes)
{
	struct census_mem *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->src = *src;
	m->max_chunks = max_bytes / CENSUS_CHUNK;
	if (m->max_chunks < 2 * CENSUS_READAHEAD)
		m->max_chunks = 2 * CENSUS_READAHEAD;
	m->index_cap = 1;
	while (m->index_cap < 2 * m->max_chunks)
		m->index_cap <<= 1;
	m->ranges = malloc((n ? n : 1) * sizeof(*ranges));
	m->chunks = calloc(m->max_chunks, sizeof(*m->chunks));
	m->index = malloc(m->index_cap * sizeof(*m->index));
	if (!m->ranges || !m->chunks || !m->index) {
		census_mem_free(m);
		return NULL;
	}
	if (n)
		memcpy(m->ranges, ranges, n * sizeof(*ranges));
	m->n_ranges = n;
	memset(m->index, 0xff, m->index_cap * sizeof(*m->index));
	return m;
}

void census_mem_free(struct census_mem *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; m->chunks && i < m->max_chunks; i++)
		free(m->chunks[i].data);
	free(m->chunks);
	free(m->index);
	free(m->ranges);
	free(m);
}

static const struct census_range *range_of(const struct census_mem *m,
					   uint64_t addr)
{
	size_t lo = 0, hi = m->n_ranges;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < m->ranges[mid].start)
			hi = mid;
		else if (addr >= m->ranges[mid].end)
			lo = mid + 1;
		else
			return &m->ranges[mid];
	}
	return NULL;
}

int census_mem_readable(const struct census_mem *m, uint64_t addr, size_t len)
{
	const struct census_range *r = range_of(m, addr);

	return r && len <= r->end - addr;
}

static size_t slot_of(const struct census_mem *m, uint64_t base)
{
	return (size_t)((base / CENSUS_CHUNK) * 0x9E3779B97F4A7C15ull >> 20) &
	       (m->index_cap - 1);
}

static struct chunk *lookup(const struct census_mem *m, uint64_t base)
{
	size_t s = slot_of(m, base);

	while (m->index[s] >= 0) {
		struct chunk *c = &m->chunks[m->index[s]];

		if (c->base == base)
			return c;
		s = (s + 1) & (m->index_cap - 1);
	}
	return NULL;
}

/* Full: forget every chunk (keeping the buffers). Bounded, and simple. */
static void reset(struct census_mem *m)
{
	memset(m->index, 0xff, m->index_cap * sizeof(*m->index));
	m->n_chunks = 0;
	m->stats.resets++;
}

static struct chunk *add(struct census_mem *m, uint64_t base)
{
	struct chunk *c;
	size_t s;

	if (m->n_chunks == m->max_chunks)
		reset(m);
	c = &m->chunks[m->n_chunks];
	if (!c->data) {
		c->data = malloc(CENSUS_CHUNK);
		if (!c->data)
			return NULL;
		m->stats.peak_bytes += CENSUS_CHUNK;
	}
	c->base = base;
	c->have = c->tried = 0;
	s = slot_of(m, base);
	while (m->index[s] >= 0)
		s = (s + 1) & (m->index_cap - 1);
	m->index[s] = (int32_t)m->n_chunks++;
	return c;
}

/*
 * Read the chunk at base and the absent ones after it in the same mapping
 * with one call. A chunk that only partly lies in the mapping is read
 * alone, clipped to it; bytes outside stay invalid.
 */
static struct chunk *fetch(struct census_mem *m, uint64_t base,
			   const struct census_range *r)
{
	struct chunk *got[CENSUS_READAHEAD];
	void *bufs[CENSUS_READAHEAD];
	uint64_t start = base < r->start ? r->start : base;
	uint64_t end =
		base + CENSUS_CHUNK < r->end ? base + CENSUS_CHUNK : r->end;
	size_t n = 1, i, skip = (size_t)(start - base);
	ssize_t done;

	if (m->n_chunks + CENSUS_READAHEAD > m->max_chunks)
		reset(m);
	got[0] = add(m, base);
	if (!got[0])
		return NULL;
	while (!skip && end == base + CENSUS_CHUNK && n < CENSUS_READAHEAD) {
		uint64_t b = base + (uint64_t)n * CENSUS_CHUNK;

		if (b + CENSUS_CHUNK > r->end || lookup(m, b))
			break;
		got[n] = add(m, b);
		if (!got[n])
			return NULL;
		n++;
	}
	for (i = 0; i < n; i++)
		bufs[i] = got[i]->data + (i ? 0 : skip);
	done = m->src.read(m->src.ctx, start, bufs, n,
			   n > 1 ? CENSUS_CHUNK : (size_t)(end - start));
	m->stats.syscalls++;
	if (done > 0)
		m->stats.bytes_read += (uint64_t)done;
	for (i = 0; i < n; i++) {
		/* Bytes before start are outside the mapping: never asked. */
		size_t first = i ? 0 : skip, got_here = 0;
		size_t asked = n > 1 ? CENSUS_CHUNK : (size_t)(end - start);

		if (done > (ssize_t)(i * asked))
			got_here = (size_t)done - i * asked;
		if (got_here > asked)
			got_here = asked;
		got[i]->have = blocks(first, got_here, true);
		got[i]->tried = blocks(first, asked, false);
	}
	return got[0];
}

/* The part of chunk c in mapping r, read into it (once). */
static void fill(struct census_mem *m, struct chunk *c,
		 const struct census_range *r)
{
	uint64_t start = c->base < r->start ? r->start : c->base;
	uint64_t end = c->base + CENSUS_CHUNK < r->end ? c->base + CENSUS_CHUNK
						       : r->end;
	size_t lo = (size_t)(start - c->base);
	void *buf = c->data + lo;
	ssize_t done =
		m->src.read(m->src.ctx, start, &buf, 1, (size_t)(end - start));

	m->stats.syscalls++;
	c->tried |= blocks(lo, (size_t)(end - start), false);
	if (done <= 0)
		return;
	m->stats.bytes_read += (uint64_t)done;
	c->have |= blocks(lo, (size_t)done, true);
}

int census_mem_read(struct census_mem *m, uint64_t addr, void *buf, size_t len)
{
	const struct census_range *r = range_of(m, addr);
	uint8_t *out = buf;

	if (!r || len > r->end - addr)
		return -1;
	while (len) {
		uint64_t base = addr & ~(uint64_t)(CENSUS_CHUNK - 1);
		size_t off = (size_t)(addr - base);
		size_t take =
			CENSUS_CHUNK - off < len ? CENSUS_CHUNK - off : len;
		struct chunk *c = lookup(m, base);

		uint64_t need = blocks(off, take, false);

		if (!c)
			c = fetch(m, base, r);
		else if (need & ~c->have & ~c->tried)
			fill(m, c, r);
		if (!c || need & ~c->have)
			return -1;
		memcpy(out, c->data + off, take);
		out += take;
		addr += take;
		len -= take;
	}
	return 0;
}

int census_mem_read_fresh(struct census_mem *m, uint64_t addr, void *buf,
			  size_t len)
{
	void *bufs[1] = { buf };
	ssize_t done;

	if (!census_mem_readable(m, addr, len))
		return -1;
	done = m->src.read(m->src.ctx, addr, bufs, 1, len);
	m->stats.syscalls++;
	if (done > 0)
		m->stats.bytes_read += (uint64_t)done;
	return done == (ssize_t)len ? 0 : -1;
}

void census_mem_stats(const struct census_mem *m, struct census_mem_stats *s)
{
	*s = m->stats;
}

static ssize_t process_read(void *ctx, uint64_t addr, void *const *bufs,
			    size_t n_bufs, size_t buf_len)
{
	struct iovec local[CENSUS_READAHEAD], remote[CENSUS_READAHEAD];
	size_t i;

	if (n_bufs > CENSUS_READAHEAD)
		n_bufs = CENSUS_READAHEAD;
	/* One remote element per chunk: a fault stops at a chunk boundary. */
	for (i = 0; i < n_bufs; i++) {
		local[i].iov_base = bufs[i];
		local[i].iov_len = buf_len;
		remote[i].iov_base = (void *)(uintptr_t)(addr + i * buf_len);
		remote[i].iov_len = buf_len;
	}
	return process_vm_readv(*(pid_t *)ctx, local, n_bufs, remote, n_bufs,
				0);
}

struct census_src census_src_process(pid_t *pid)
{
	struct census_src s = { process_read, pid };

	return s;
}
