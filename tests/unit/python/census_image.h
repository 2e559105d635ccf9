/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A fake process image for census tests and the fuzzer: one readable range
 * at IMG_BASE backed by a local buffer, with helpers that lay out type
 * objects and GC nodes the way CPython does.
 */
#ifndef LT_CENSUS_IMAGE_H
#define LT_CENSUS_IMAGE_H

#include <string.h>
#include "python/census_mem.h"
#include "python/census_walk.h"

#define IMG_BASE      0x7f0000000000ull
#define IMG_SIZE      (1u << 20)
#define IMG_TYPE_SIZE 320 /* up to tp_dict and past it */

struct image {
	uint8_t *mem; /* IMG_SIZE bytes */
	size_t used;
};

static ssize_t image_read(void *ctx, uint64_t addr, void *const *bufs,
			  size_t n_bufs, size_t buf_len)
{
	const struct image *im = ctx;
	size_t i, done = 0;

	for (i = 0; i < n_bufs; i++) {
		uint64_t a = addr + i * buf_len;
		size_t take = buf_len;

		if (a < IMG_BASE || a >= IMG_BASE + IMG_SIZE)
			break;
		if (a + take > IMG_BASE + IMG_SIZE)
			take = (size_t)(IMG_BASE + IMG_SIZE - a);
		memcpy(bufs[i], im->mem + (a - IMG_BASE), take);
		done += take;
		if (take < buf_len)
			break;
	}
	return done ? (ssize_t)done : -1;
}

static inline void put64(struct image *im, uint64_t addr, uint64_t v)
{
	memcpy(im->mem + (addr - IMG_BASE), &v, sizeof(v));
}

static inline uint64_t image_alloc(struct image *im, size_t len)
{
	uint64_t a = IMG_BASE + im->used;

	im->used += (len + 15) & ~(size_t)15;
	return a;
}

/* A type object named name whose type is meta (0: itself, PyType_Type). */
static inline uint64_t image_type(struct image *im, uint64_t meta,
				  const char *name, int64_t basic, int64_t item,
				  uint64_t extra_flags)
{
	uint64_t t = image_alloc(im, IMG_TYPE_SIZE);
	uint64_t s = image_alloc(im, strlen(name) + 1);

	memcpy(im->mem + (s - IMG_BASE), name, strlen(name) + 1);
	put64(im, t + 8, meta ? meta : t);
	put64(im, t + PYTYPE_NAME, s);
	put64(im, t + PYTYPE_BASICSIZE, (uint64_t)basic);
	put64(im, t + PYTYPE_ITEMSIZE, (uint64_t)item);
	put64(im, t + PYTYPE_FLAGS,
	      TPFLAG_READY | TPFLAG_HAVE_GC | extra_flags);
	return t;
}

/* A list sentinel (struct gc_generation). */
static inline uint64_t image_head(struct image *im)
{
	uint64_t h = image_alloc(im, 24);

	put64(im, h, h);
	put64(im, h + 8, h);
	return h;
}

/* A GC node appended to the list at head, with body bytes of object. */
static inline uint64_t image_object_body(struct image *im, uint64_t head,
					 uint64_t type, int64_t size,
					 size_t body)
{
	uint64_t n = image_alloc(im, 16 + (body < 32 ? 32 : body)), last;

	memcpy(&last, im->mem + (head + 8 - IMG_BASE), 8);
	put64(im, n, head);
	put64(im, n + 8, last);
	put64(im, n + 16, 1);
	put64(im, n + 24, type);
	put64(im, n + 32, (uint64_t)size);
	put64(im, last, n);
	put64(im, head + 8, n);
	return n;
}

static inline uint64_t image_object(struct image *im, uint64_t head,
				    uint64_t type, int64_t size)
{
	return image_object_body(im, head, type, size, 32);
}

static inline struct census_mem *image_mem(struct image *im, size_t budget)
{
	struct census_src src = { image_read, im };
	struct census_range r = { IMG_BASE, IMG_BASE + IMG_SIZE };

	return census_mem_new(&src, &r, 1, budget);
}

#endif
