/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests for user/core/mapsync.c: which /proc/PID/maps lines count. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <errno.h>
#include <unistd.h>

#include "core/mapsync.h"
#include "lib/procmaps.h"

static const char *const lines[] = {
	"55d0a000-55d0b000 r-xp 00001000 fd:01 1234 /usr/bin/prog",
	"55d0c000-55d0d000 rw-p 00000000 00:00 0 ",
	"55d0d000-55d2e000 rw-p 00000000 00:00 0 [heap]",
	"7f000000-7f100000 ---p 00000000 00:00 0",
	"7f100000-7f110000 rw-p 00000000 00:00 0 [anon:arena]",
	"7f110000-7f120000 rw-s 00000000 00:01 77 /dev/zero (deleted)",
	"7f120000-7f130000 rw-s 00000000 00:01 78 /memfd:buf (deleted)",
	"7ffd0000-7ffd2000 rw-p 00000000 00:00 0 [stack]",
	"7ffd3000-7ffd5000 r-xp 00000000 00:00 0 [vdso]",
};

#define N_LINES (sizeof(lines) / sizeof(*lines))

static struct map_entry *parse_all(void)
{
	struct map_entry *e = calloc(N_LINES, sizeof(*e));
	size_t i;

	assert_non_null(e);
	for (i = 0; i < N_LINES; i++)
		assert_int_equal(procmaps_parse_line(lines[i], &e[i]), 0);
	return e;
}

static void test_anonymous_only(void **state)
{
	struct map_entry *e = parse_all();
	struct mrange out[N_LINES];
	size_t n = mapsync_ranges(e, N_LINES, false, out);

	/* bss, heap, PROT_NONE reservation, named, shared anonymous. */
	assert_int_equal(n, 5);
	assert_int_equal(out[0].start, 0x55d0c000);
	assert_true(out[0].counts);
	assert_int_equal(out[1].start, 0x55d0d000);
	assert_int_equal(out[2].start, 0x7f000000);
	assert_false(out[2].counts);
	assert_int_equal(out[3].start, 0x7f100000);
	assert_int_equal(out[4].start, 0x7f110000);
	assert_true(out[4].counts);
	free(e);
}

static void test_file_mappings(void **state)
{
	struct map_entry *e = parse_all();
	struct mrange out[N_LINES];
	size_t n = mapsync_ranges(e, N_LINES, true, out);

	/* The program's text and the memfd too; never [stack] or [vdso]. */
	assert_int_equal(n, 7);
	assert_int_equal(out[0].start, 0x55d0a000);
	assert_int_equal(out[6].start, 0x7f120000);
	assert_int_equal(out[6].end, 0x7f130000);
	free(e);
}

/* Our own /proc/self/maps: a mapping made here is found, unattributed. */
static void test_own_process(void **state)
{
	struct mtrack *t = mtrack_new();
	struct mresync rs;
	void *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct mstat *st;
	long n;

	assert_non_null(t);
	assert_true(p != MAP_FAILED);
	assert_int_equal(
		mapsync_process(t, getpid(), false, MTRACK_RESERVED, &rs), 0);
	munmap(p, 1 << 20);
	p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	/* Unmap whatever neighbour it may have merged with in the baseline. */
	mtrack_unmap(t, getpid(), (uintptr_t)p, 1 << 20);
	assert_int_equal(mapsync_process(t, getpid(), false, 4, &rs), 0);
	/* More if malloc grew its heap meanwhile. */
	assert_true(rs.filled_bytes >= 1 << 20);
	n = mtrack_stats(t, UINT64_MAX, &st);
	assert_int_equal(n, 1);
	assert_int_equal(st[0].stack_id, 4);
	assert_int_equal(st[0].bytes, rs.filled_bytes);
	free(st);
	/* Gone again: dropped. */
	munmap(p, 1 << 20);
	assert_int_equal(mapsync_process(t, getpid(), false, 4, &rs), 0);
	assert_true(rs.dropped_bytes >= 1 << 20);
	assert_int_equal(mapsync_process(t, 999999999, false, 4, &rs), -ENOENT);
	mtrack_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_anonymous_only),
		cmocka_unit_test(test_file_mappings),
		cmocka_unit_test(test_own_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
