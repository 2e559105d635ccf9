/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * api NAME: one allocator API scenario, in a function named leak_NAME that
 * calls the allocator directly, with its exact outstanding bytes. "all" runs
 * every scenario in one process (sbrk and brk last: nothing may allocate
 * after the raw brk call, which leaves libc's idea of the break stale).
 */
#include "target.h"

#include <malloc.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define USAGE	   "NAME|all|list"
#define MAX_EXPECT 64
#define MAX_KEEP   64

static struct lt_expect exps[MAX_EXPECT];
static int nexp;
static void *volatile keep[MAX_KEEP];
static int nkeep;
static long ps;

static void expect(const char *func, const char *kind, long long bytes,
		   long long count)
{
	struct lt_expect *e = &exps[nexp++];

	e->func = func;
	e->kind = kind;
	e->bytes = bytes;
	e->count = count;
}

/* Keep a pointer reachable from a global so the allocation stays. */
static void hold(void *p)
{
	keep[nkeep++] = p;
}

static bool aligned(const void *p, size_t align)
{
	return !((uintptr_t)p % align);
}

/* True when every page of [p, p + len) is mapped. */
static bool mapped(const void *p, size_t len)
{
	unsigned char vec[64];

	return len / ps <= sizeof(vec) && !mincore((void *)p, len, vec);
}

/* True when no page of [p, p + len) is mapped. */
static bool unmapped(const void *p, size_t len)
{
	unsigned char vec[1];
	size_t off;

	for (off = 0; off < len; off += ps) {
		if (!mincore((char *)p + off, ps, vec) || errno != ENOMEM)
			return false;
	}
	return true;
}

/* malloc: 3 blocks of 1000 bytes. */
LT_LEAKFN void leak_malloc(void)
{
	int i;

	for (i = 0; i < 3; i++) {
		void *p = malloc(1000);

		lt_check(p, "malloc: malloc(1000) returned NULL");
		hold(p);
	}
}

static void sc_malloc(void)
{
	leak_malloc();
	expect("leak_malloc", "heap", 3000, 3);
}

/* calloc: 25 x 40, zeroed. */
LT_LEAKFN void leak_calloc(void)
{
	unsigned char *p = calloc(25, 40);
	int i, nonzero = 0;

	lt_check(p, "calloc: calloc(25, 40) returned NULL");
	for (i = 0; p && i < 1000; i++)
		nonzero |= p[i];
	lt_check(!nonzero, "calloc: memory not zeroed");
	hold(p);
}

static void sc_calloc(void)
{
	leak_calloc();
	expect("leak_calloc", "heap", 1000, 1);
}

/* calloc_overflow: nmemb * size overflows: NULL; then calloc(3, 100). */
LT_LEAKFN void leak_calloc_overflow(void)
{
	volatile size_t nmemb = SIZE_MAX / 2;
	void *p, *q;

	p = calloc(nmemb, 4);
	lt_check(!p, "calloc_overflow: calloc(SIZE_MAX/2, 4) did not fail");
	if (p)
		hold(p);
	q = calloc(3, 100);
	lt_check(q, "calloc_overflow: calloc(3, 100) returned NULL");
	hold(q);
}

static void sc_calloc_overflow(void)
{
	leak_calloc_overflow();
	expect("leak_calloc_overflow", "heap", 300, 1);
}

/* realloc_grow: 100 -> 1000. */
LT_LEAKFN void leak_realloc_grow(void)
{
	void *p = malloc(100), *q;

	lt_check(p, "realloc_grow: malloc(100) returned NULL");
	q = realloc(p, 1000);
	lt_check(q, "realloc_grow: realloc(p, 1000) returned NULL");
	hold(q);
}

static void sc_realloc_grow(void)
{
	leak_realloc_grow();
	expect("leak_realloc_grow", "heap", 1000, 1);
}

/* realloc_shrink: 1000 -> 100. */
LT_LEAKFN void leak_realloc_shrink(void)
{
	void *p = malloc(1000), *q;

	lt_check(p, "realloc_shrink: malloc(1000) returned NULL");
	q = realloc(p, 100);
	lt_check(q, "realloc_shrink: realloc(p, 100) returned NULL");
	hold(q);
}

static void sc_realloc_shrink(void)
{
	leak_realloc_shrink();
	expect("leak_realloc_shrink", "heap", 100, 1);
}

/*
 * realloc_move: A (64) fenced by B (64), A grown to 1 MiB: above the mmap
 * threshold, so the block moves into an mmapped chunk. That mapping is the
 * allocator's, not this function's.
 */
#define MOVE_SIZE (1 << 20)

LT_LEAKFN void leak_realloc_move(void)
{
	void *a = malloc(64), *b = malloc(64), *a2;

	lt_check(a && b, "realloc_move: malloc(64) returned NULL");
	a2 = realloc(a, MOVE_SIZE);
	lt_check(a2, "realloc_move: realloc(A, 1 MiB) returned NULL");
	lt_check(a2 != a, "realloc_move: realloc(A, 1 MiB) did not move");
	hold(a2);
	hold(b);
}

static void sc_realloc_move(void)
{
	leak_realloc_move();
	expect("leak_realloc_move", "heap", MOVE_SIZE + 64, 2);
	expect("leak_realloc_move", "mapped", 0, 0);
}

/* realloc_null: realloc(NULL, 500) is malloc(500). */
LT_LEAKFN void leak_realloc_null(void)
{
	void *p = realloc(NULL, 500);

	lt_check(p, "realloc_null: realloc(NULL, 500) returned NULL");
	hold(p);
}

static void sc_realloc_null(void)
{
	leak_realloc_null();
	expect("leak_realloc_null", "heap", 500, 1);
}

/* realloc_zero: realloc(p, 0) frees p (glibc) and returns NULL. */
LT_LEAKFN void leak_realloc_zero(void)
{
	volatile size_t zero = 0;
	void *p = malloc(700), *q;

	lt_check(p, "realloc_zero: malloc(700) returned NULL");
	q = realloc(p, zero);
	lt_check(!q, "realloc_zero: realloc(p, 0) did not return NULL");
	if (q)
		hold(q);
}

/* Proves the process was traced at all when the above shows nothing. */
LT_LEAKFN void leak_realloc_zero_keep(void)
{
	void *p = malloc(123);

	lt_check(p, "realloc_zero: malloc(123) returned NULL");
	hold(p);
}

static void sc_realloc_zero(void)
{
	leak_realloc_zero();
	leak_realloc_zero_keep();
	expect("leak_realloc_zero", "heap", 0, 0);
	expect("leak_realloc_zero_keep", "heap", 123, 1);
}

/* realloc_fail: an impossible size fails and leaves the old block alone. */
LT_LEAKFN void leak_realloc_fail(void)
{
	volatile size_t huge = SIZE_MAX - 4096;
	void *p = malloc(200), *q;

	lt_check(p, "realloc_fail: malloc(200) returned NULL");
	hold(p);
	errno = 0;
	q = realloc(p, huge);
	lt_check(!q, "realloc_fail: realloc(p, SIZE_MAX - 4096) did not fail");
	lt_check(errno == ENOMEM, "realloc_fail: errno is not ENOMEM");
	if (q)
		hold(q);
}

static void sc_realloc_fail(void)
{
	leak_realloc_fail();
	expect("leak_realloc_fail", "heap", 200, 1);
}

/* reallocarray: 10 x 30 from NULL, then an overflowing resize fails. */
LT_LEAKFN void leak_reallocarray(void)
{
	volatile size_t nmemb = SIZE_MAX / 2;
	void *p, *q;

	p = reallocarray(NULL, 10, 30);
	lt_check(p, "reallocarray: reallocarray(NULL, 10, 30) returned NULL");
	hold(p);
	errno = 0;
	q = reallocarray(p, nmemb, 4);
	lt_check(!q,
		 "reallocarray: reallocarray(p, SIZE_MAX/2, 4) did not fail");
	lt_check(errno == ENOMEM, "reallocarray: errno is not ENOMEM");
	if (q)
		hold(q);
}

static void sc_reallocarray(void)
{
	leak_reallocarray();
	expect("leak_reallocarray", "heap", 300, 1);
}

/* posix_memalign: 1000 bytes aligned to 64. */
LT_LEAKFN void leak_posix_memalign(void)
{
	void *p = NULL;
	int rc = posix_memalign(&p, 64, 1000);

	lt_check(!rc && p, "posix_memalign: posix_memalign(64, 1000) failed");
	lt_check(aligned(p, 64), "posix_memalign: block not 64-aligned");
	hold(p);
}

static void sc_posix_memalign(void)
{
	leak_posix_memalign();
	expect("leak_posix_memalign", "heap", 1000, 1);
}

/* posix_memalign_fail: alignment 3 is EINVAL; then 5000 aligned to 4096. */
LT_LEAKFN void leak_posix_memalign_fail(void)
{
	volatile size_t bad_align = 3;
	void *p = NULL, *q = NULL;
	int rc;

	rc = posix_memalign(&p, bad_align, 100);
	lt_check(rc == EINVAL,
		 "posix_memalign_fail: alignment 3 did not give EINVAL");
	lt_check(!p, "posix_memalign_fail: pointer set on failure");
	rc = posix_memalign(&q, 4096, 5000);
	lt_check(!rc && q,
		 "posix_memalign_fail: posix_memalign(4096, 5000) failed");
	lt_check(aligned(q, 4096),
		 "posix_memalign_fail: block not 4096-aligned");
	hold(q);
}

static void sc_posix_memalign_fail(void)
{
	leak_posix_memalign_fail();
	expect("leak_posix_memalign_fail", "heap", 5000, 1);
}

/* aligned_alloc: 640 bytes aligned to 64. */
LT_LEAKFN void leak_aligned_alloc(void)
{
	void *p = aligned_alloc(64, 640);

	lt_check(p, "aligned_alloc: aligned_alloc(64, 640) returned NULL");
	lt_check(aligned(p, 64), "aligned_alloc: block not 64-aligned");
	hold(p);
}

static void sc_aligned_alloc(void)
{
	leak_aligned_alloc();
	expect("leak_aligned_alloc", "heap", 640, 1);
}

/* memalign: 1000 bytes aligned to 128. */
LT_LEAKFN void leak_memalign(void)
{
	void *p = memalign(128, 1000);

	lt_check(p, "memalign: memalign(128, 1000) returned NULL");
	lt_check(aligned(p, 128), "memalign: block not 128-aligned");
	hold(p);
}

static void sc_memalign(void)
{
	leak_memalign();
	expect("leak_memalign", "heap", 1000, 1);
}

/* valloc: 5000 bytes, page-aligned. */
LT_LEAKFN void leak_valloc(void)
{
	void *p = valloc(5000);

	lt_check(p, "valloc: valloc(5000) returned NULL");
	lt_check(aligned(p, ps), "valloc: block not page-aligned");
	hold(p);
}

static void sc_valloc(void)
{
	leak_valloc();
	expect("leak_valloc", "heap", 5000, 1);
}

/* pvalloc: 5000 bytes asked for (glibc rounds up to whole pages). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
LT_LEAKFN void leak_pvalloc(void)
{
	void *p = pvalloc(5000);

	lt_check(p, "pvalloc: pvalloc(5000) returned NULL");
	lt_check(aligned(p, ps), "pvalloc: block not page-aligned");
	hold(p);
}
#pragma GCC diagnostic pop

static void sc_pvalloc(void)
{
	leak_pvalloc();
	expect("leak_pvalloc", "heap", 5000, 1);
}

/* free: 10 blocks of 100, 7 freed, 3 kept. */
LT_LEAKFN void leak_free(void)
{
	void *p[10];
	int i;

	for (i = 0; i < 10; i++) {
		p[i] = malloc(100);
		lt_check(p[i], "free: malloc(100) returned NULL");
	}
	for (i = 0; i < 10; i++) {
		if (i % 3 == 2)
			hold(p[i]); /* 2, 5, 8 */
		else
			free(p[i]);
	}
}

static void sc_free(void)
{
	leak_free();
	expect("leak_free", "heap", 300, 3);
}

/* mmap: 5 anonymous private pages. */
LT_LEAKFN void leak_mmap(void)
{
	void *p = mmap(NULL, 5 * ps, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	lt_check(p != MAP_FAILED, "mmap: mmap of 5 pages failed");
	if (lt.selfcheck && p != MAP_FAILED)
		lt_check(mapped(p, 5 * ps), "mmap: pages not mapped");
	hold(p);
}

static void sc_mmap(void)
{
	leak_mmap();
	expect("leak_mmap", "mapped", 5 * ps, 1);
}

/*
 * munmap_partial: 8 pages with pages 3-4 unmapped (6 pages, 2 records),
 * and 4 pages with page 0 unmapped (3 pages, 1 record).
 */
LT_LEAKFN void leak_munmap_partial(void)
{
	char *a, *b;

	a = mmap(NULL, 8 * ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	lt_check(a != MAP_FAILED, "munmap_partial: mmap of 8 pages failed");
	lt_check(!munmap(a + 3 * ps, 2 * ps),
		 "munmap_partial: munmap of the middle failed");
	b = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	lt_check(b != MAP_FAILED, "munmap_partial: mmap of 4 pages failed");
	lt_check(!munmap(b, ps),
		 "munmap_partial: munmap of the first page failed");
	if (lt.selfcheck && a != MAP_FAILED && b != MAP_FAILED) {
		lt_check(mapped(a, 3 * ps) && mapped(a + 5 * ps, 3 * ps) &&
				 mapped(b + ps, 3 * ps),
			 "munmap_partial: kept pages not mapped");
		lt_check(unmapped(a + 3 * ps, 2 * ps) && unmapped(b, ps),
			 "munmap_partial: unmapped pages still mapped");
	}
	hold(a);
	hold(b);
}

static void sc_munmap_partial(void)
{
	leak_munmap_partial();
	expect("leak_munmap_partial", "mapped", 9 * ps, 3);
}

/* mremap: 4 pages grown to 16 (may move); the mapping stays ours. */
LT_LEAKFN void leak_mremap(void)
{
	void *p, *q = MAP_FAILED;

	p = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	lt_check(p != MAP_FAILED, "mremap: mmap of 4 pages failed");
	if (p != MAP_FAILED)
		q = mremap(p, 4 * ps, 16 * ps, MREMAP_MAYMOVE);
	lt_check(q != MAP_FAILED, "mremap: mremap to 16 pages failed");
	if (lt.selfcheck && q != MAP_FAILED)
		lt_check(mapped(q, 16 * ps), "mremap: pages not mapped");
	hold(q);
}

static void sc_mremap(void)
{
	leak_mremap();
	expect("leak_mremap", "mapped", 16 * ps, 1);
}

/* sbrk: +12345 then -345 leaves 12000 bytes past the old break. */
#define SBRK_UP	  12345
#define SBRK_DOWN 345

LT_LEAKFN void leak_sbrk(void)
{
	char *start, *mid;

	start = sbrk(SBRK_UP);
	lt_check(start != (void *)-1, "sbrk: sbrk(12345) failed");
	mid = sbrk(-SBRK_DOWN);
	lt_check(mid == start + SBRK_UP, "sbrk: sbrk(-345) failed");
	if (lt.selfcheck)
		lt_check(syscall(SYS_brk, 0) ==
				 (long)(start + SBRK_UP - SBRK_DOWN),
			 "sbrk: break not 12000 bytes past the old one");
}

static void sc_sbrk(void)
{
	leak_sbrk();
	expect("leak_sbrk", "mapped", SBRK_UP - SBRK_DOWN, 1);
}

/* brk: the raw syscall moves the break up by 3 pages + 100 bytes. */
LT_LEAKFN void leak_brk(void)
{
	long cur, want, got;

	cur = syscall(SYS_brk, 0);
	want = cur + 3 * ps + 100;
	got = syscall(SYS_brk, want);
	lt_check(got == want, "brk: break did not move to where asked");
}

static void sc_brk(void)
{
	leak_brk();
	expect("leak_brk", "mapped", 3 * ps + 100, 1);
}

static const struct {
	const char *name;
	void (*run)(void);
} scenarios[] = {
	{ "malloc", sc_malloc },
	{ "calloc", sc_calloc },
	{ "calloc_overflow", sc_calloc_overflow },
	{ "realloc_grow", sc_realloc_grow },
	{ "realloc_shrink", sc_realloc_shrink },
	{ "realloc_move", sc_realloc_move },
	{ "realloc_null", sc_realloc_null },
	{ "realloc_zero", sc_realloc_zero },
	{ "realloc_fail", sc_realloc_fail },
	{ "reallocarray", sc_reallocarray },
	{ "posix_memalign", sc_posix_memalign },
	{ "posix_memalign_fail", sc_posix_memalign_fail },
	{ "aligned_alloc", sc_aligned_alloc },
	{ "memalign", sc_memalign },
	{ "valloc", sc_valloc },
	{ "pvalloc", sc_pvalloc },
	{ "free", sc_free },
	{ "mmap", sc_mmap },
	{ "munmap_partial", sc_munmap_partial },
	{ "mremap", sc_mremap },
	/* Keep these two last, sbrk before brk (see the top of the file). */
	{ "sbrk", sc_sbrk },
	{ "brk", sc_brk },
};

int main(int argc, char **argv)
{
	const char *name;
	int i, which = -1;

	lt_parse("api", argc, argv, USAGE);
	if (lt.npos != 1)
		lt_usage(USAGE);
	name = lt_arg_str(0, NULL);
	if (!strcmp(name, "list")) {
		for (i = 0; i < (int)LT_ARRAY_SIZE(scenarios); i++)
			lt_printfd(1, "%s\n", scenarios[i].name);
		return 0;
	}
	if (strcmp(name, "all")) {
		for (i = 0; i < (int)LT_ARRAY_SIZE(scenarios); i++)
			if (!strcmp(name, scenarios[i].name))
				which = i;
		if (which < 0)
			lt_usage(USAGE);
	}
	ps = lt_page_size();
	lt_setup();
	lt_wait_go();

	for (i = 0; i < (int)LT_ARRAY_SIZE(scenarios); i++)
		if (which < 0 || which == i)
			scenarios[i].run();

	lt_report(exps, nexp);
	lt_finish();
}
