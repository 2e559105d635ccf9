/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Unit tests of the report formats (user/report/, export/folded.c) on a
 * report model built here: text, JSON and folded stacks, with no kernel
 * and no symbolizer behind them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/folded.h"
#include "report/report.h"

#define NF 6

struct model {
	struct stack_row rows[2];
	struct report_frame frames[NF];
	struct report_frame pseudo;
	struct report_stack stacks[2];
	struct report_stack *all[2], *growth[2];
	struct proc_report pr;
	struct report r;
};

static struct report_frame native(const char *fn, const char *file, int line,
				  uint64_t addr, uint64_t off)
{
	return (struct report_frame){ .kind = RF_NATIVE,
				      .function = fn,
				      .raw_name = fn,
				      .file = file,
				      .line = line,
				      .module = "app",
				      .build_id = "abcd",
				      .addr = addr,
				      .offset = off,
				      .module_offset = addr - 0x1000,
				      .has_sym = true,
				      .map = { .path = "" } };
}

/* Process 77 "app": a Python stack that grew, a pseudo stack that did not. */
static void build(struct model *m, bool final)
{
	memset(m, 0, sizeof(*m));
	m->frames[0] = native("helper", "/src/util.h", 3, 0x1234, 0);
	m->frames[0].kind = RF_INLINED;
	m->frames[1] = native("leak_here", "/src/leak.c", 16, 0x1234, 0x14);
	m->frames[2] = native("", "", 0, 0x2000, 0);
	m->frames[2].kind = RF_ANON;
	m->frames[2].module = "[anon]";
	m->frames[3] = native("jitted", "", 0, 0x9000, 0x10);
	m->frames[3].kind = RF_JIT;
	m->frames[3].module = "perf-77.map";
	m->frames[4] = (struct report_frame){ .kind = RF_PYTHON,
					      .function = "app.handle",
					      .raw_name = "app.handle",
					      .file = "/srv/app.py",
					      .line = 42,
					      .module = "",
					      .build_id = "",
					      .addr = 0x7000,
					      .map = { .path = "" } };
	m->frames[5] = m->frames[4];
	m->frames[5].function = "app.main";
	m->frames[5].line = -1;
	m->pseudo = (struct report_frame){ .kind = RF_PSEUDO,
					   .function = "[unknown stack]",
					   .raw_name = "",
					   .file = "",
					   .module = "",
					   .build_id = "",
					   .map = { .path = "" } };
	m->rows[0] = (struct stack_row){ .tgid = 77,
					 .stack_id = 0xab,
					 .heap_bytes = 4096,
					 .heap_count = 4,
					 .growth = 1024,
					 .trend_bits = 1,
					 .reports = 1 };
	m->rows[1] = (struct stack_row){ .tgid = 77,
					 .stack_id = 1,
					 .map_bytes = 8192,
					 .map_count = 2,
					 .reports = 1 };
	m->stacks[0] = (struct report_stack){ &m->rows[0], m->frames, NF };
	m->stacks[1] = (struct report_stack){ &m->rows[1], &m->pseudo, 1 };
	m->all[0] = &m->stacks[1];
	m->all[1] = &m->stacks[0];
	m->growth[0] = &m->stacks[0];
	m->pr = (struct proc_report){ .pid = 77,
				      .rss = -1,
				      .rss_at_attach = -1,
				      .python = true,
				      .py_minor = 11,
				      .heap_bytes = 4096,
				      .heap_count = 4,
				      .map_bytes = 8192,
				      .map_count = 2,
				      .growth = 1024,
				      .stacks = m->stacks,
				      .by_growth = m->growth,
				      .n_by_growth = 1,
				      .by_bytes = m->all,
				      .n_by_bytes = final ? 2 : 0,
				      .all = m->all,
				      .n_all = 2 };
	strcpy(m->pr.comm, "app");
	m->r.final = final;
	m->r.top = 10;
	m->r.elapsed_s = 2;
	m->r.interval_s = 1;
	m->r.procs = &m->pr;
	m->r.n_procs = 1;
	m->r.losses[LT_C_FREE_UNKNOWN] = 3;
}

static char *render(void (*print)(FILE *, const struct report *),
		    const struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	print(f, r);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_frame_text(void **state)
{
	struct model m;
	char buf[256];

	build(&m, false);
	assert_string_equal(report_frame_text(&m.frames[0], buf, sizeof(buf)),
			    "helper (util.h:3) [app] (inlined)");
	assert_string_equal(report_frame_text(&m.frames[1], buf, sizeof(buf)),
			    "leak_here+0x14 (leak.c:16) [app]");
	assert_string_equal(report_frame_text(&m.frames[2], buf, sizeof(buf)),
			    "[anon]+0x1000");
	assert_string_equal(report_frame_text(&m.frames[3], buf, sizeof(buf)),
			    "jitted+0x10 [perf-77.map]");
	assert_string_equal(report_frame_text(&m.frames[4], buf, sizeof(buf)),
			    "app.handle (/srv/app.py:42)");
	assert_string_equal(report_frame_text(&m.frames[5], buf, sizeof(buf)),
			    "app.main (/srv/app.py)");
	assert_string_equal(report_frame_text(&m.pseudo, buf, sizeof(buf)),
			    "[unknown stack]");
	assert_string_equal(report_frame_short(&m.frames[1], buf, sizeof(buf)),
			    "leak_here");
	assert_string_equal(report_frame_short(&m.frames[2], buf, sizeof(buf)),
			    "[anon]+0x1000");
	/* A frame the symbolizer never saw shows its address. */
	m.frames[1].has_sym = false;
	assert_string_equal(report_frame_text(&m.frames[1], buf, sizeof(buf)),
			    "0x1234");
}

static void test_text(void **state)
{
	struct model m;
	char *text, *body;

	build(&m, true);
	text = render(report_print_text, &m.r);
	body = strchr(text + 1, '\n') + 1; /* after the timed title */
	assert_string_equal(
		body,
		"pid 77 (app): heap 4.0 KiB in 4 blocks, mapped 8.0 KiB in 2 mappings (allocator's own mappings 0 B)\n"
		"  growth +1.0 KiB this interval, +12.0 KiB since attach\n"
		"  CPython 3.11: Python frames on; objects up to 512 B are counted as the pymalloc arenas they fill\n"
		"  top 1 stacks by growth in this interval:\n"
		"    +1.0 KiB  outstanding 4.0 KiB in 4 blocks, grew in 1 of the last 1 reports\n"
		"        helper (util.h:3) [app] (inlined)\n"
		"        leak_here+0x14 (leak.c:16) [app]\n"
		"        [anon]+0x1000\n"
		"        jitted+0x10 [perf-77.map]\n"
		"        app.handle (/srv/app.py:42)\n"
		"        app.main (/srv/app.py)\n"
		"  top 2 stacks by outstanding bytes:\n"
		"    8.0 KiB in 2 blocks (heap 0 B, mapped 8.0 KiB)\n"
		"        [unknown stack]\n"
		"    4.0 KiB in 4 blocks (heap 4.0 KiB, mapped 0 B)\n"
		"        helper (util.h:3) [app] (inlined)\n"
		"        leak_here+0x14 (leak.c:16) [app]\n"
		"        [anon]+0x1000\n"
		"        jitted+0x10 [perf-77.map]\n"
		"        app.handle (/srv/app.py:42)\n"
		"        app.main (/srv/app.py)\n"
		"losses: free_unknown 3\n");
	assert_non_null(strstr(
		text,
		" final report: 1.0 s interval, 2.0 s since attach, native stacks by dwarf\n"));
	free(text);
}

static void test_json(void **state)
{
	struct model m;
	char *text, *procs;

	build(&m, false);
	text = render(report_print_json, &m.r);
	assert_non_null(strstr(
		text,
		"\"final\":false,\"elapsed_s\":2.000,\"interval_s\":1.000,\"mode\":\"exact\",\"sample_bytes\":0,\"unwind\":\"dwarf\",\"min_age_s\":0.000,\"losses\":{\"alloc_map_full\":0,"));
	assert_non_null(strstr(
		text,
		"\"census_objects_skipped\":0},\"mapping_resyncs\":0,\"processes\":"));
	procs = strstr(text, "\"processes\":");
	assert_non_null(procs);
	assert_string_equal(
		procs,
		"\"processes\":[{\"pid\":77,\"comm\":\"app\",\"alive\":true,\"rss_bytes\":-1,\"rss_growth_bytes\":0,"
		"\"heap_bytes\":4096,\"heap_count\":4,\"mapped_bytes\":8192,\"mapped_count\":2,\"allocator_mapped_bytes\":0,"
		"\"unattributed_mapped_bytes\":0,\"unattributed_mapped_count\":0,\"growth_bytes\":1024,\"growth_since_attach_bytes\":12288,\"python\":{\"version\":\"3.11\",\"mode\":\"arenas\"},"
		"\"stacks\":[{\"id\":\"0xab\",\"growth_bytes\":1024,\"bytes\":4096,\"count\":4,\"heap_bytes\":4096,\"heap_count\":4,"
		"\"mapped_bytes\":0,\"mapped_count\":0,\"trend_grew\":1,\"trend_reports\":1,\"frames\":["
		"{\"addr\":\"0x1234\",\"kind\":\"native\",\"symbol\":\"helper\",\"mangled\":\"\",\"offset\":0,\"module\":\"app\",\"text\":\"helper (util.h:3) [app] (inlined)\",\"file\":\"/src/util.h\",\"line\":3,\"inlined\":true,\"build_id\":\"abcd\"},"
		"{\"addr\":\"0x1234\",\"kind\":\"native\",\"symbol\":\"leak_here\",\"mangled\":\"\",\"offset\":20,\"module\":\"app\",\"text\":\"leak_here+0x14 (leak.c:16) [app]\",\"file\":\"/src/leak.c\",\"line\":16,\"inlined\":false,\"build_id\":\"abcd\"},"
		"{\"addr\":\"0x2000\",\"kind\":\"native\",\"symbol\":\"\",\"mangled\":\"\",\"offset\":0,\"module\":\"[anon]\",\"text\":\"[anon]+0x1000\",\"file\":\"\",\"line\":0,\"inlined\":false,\"build_id\":\"abcd\"},"
		"{\"addr\":\"0x9000\",\"kind\":\"native\",\"symbol\":\"jitted\",\"mangled\":\"\",\"offset\":16,\"module\":\"perf-77.map\",\"text\":\"jitted+0x10 [perf-77.map]\",\"file\":\"\",\"line\":0,\"inlined\":false,\"build_id\":\"abcd\"},"
		"{\"addr\":\"0x7000\",\"kind\":\"python\",\"symbol\":\"app.handle\",\"mangled\":\"\",\"offset\":0,\"module\":\"\",\"text\":\"app.handle (/srv/app.py:42)\",\"file\":\"/srv/app.py\",\"line\":42,\"inlined\":false,\"build_id\":\"\"},"
		"{\"addr\":\"0x7000\",\"kind\":\"python\",\"symbol\":\"app.main\",\"mangled\":\"\",\"offset\":0,\"module\":\"\",\"text\":\"app.main (/srv/app.py)\",\"file\":\"/srv/app.py\",\"line\":-1,\"inlined\":false,\"build_id\":\"\"}"
		"]}]}]}\n");
	free(text);
	/* Every process has the python key; the final report has top_outstanding. */
	build(&m, true);
	m.pr.python = false;
	m.pr.n_by_bytes = 1;
	text = render(report_print_json, &m.r);
	assert_non_null(strstr(
		text,
		"\"growth_since_attach_bytes\":12288,\"python\":null,\"stacks\":["));
	assert_non_null(strstr(
		text,
		"]}],\"top_outstanding\":[{\"id\":\"0x1\",\"growth_bytes\":0,\"bytes\":8192,"));
	assert_non_null(strstr(
		text,
		"\"frames\":[{\"addr\":\"0x0\",\"kind\":\"pseudo\",\"symbol\":\"[unknown stack]\",\"mangled\":\"\",\"offset\":0,\"module\":\"\",\"text\":\"[unknown stack]\",\"file\":\"\",\"line\":0,\"inlined\":false,\"build_id\":\"\"}]}]}]}\n"));
	free(text);
}

/* After lost events: the unattributed bytes and the resyncs are said. */
static void test_resync(void **state)
{
	struct model m;
	char *text;

	build(&m, false);
	m.pr.unattributed_map_bytes = 4096;
	m.pr.unattributed_map_count = 1;
	m.r.map_resyncs = 2;
	m.r.losses[LT_C_EVENTS_LOST] = 9;
	text = render(report_print_text, &m.r);
	assert_non_null(strstr(
		text,
		"mappings (allocator's own mappings 0 B)\n"
		"  of which 4.0 KiB unattributed: found in /proc/77/maps after lost mapping events, stack unknown\n"));
	assert_non_null(strstr(
		text,
		", events_lost 9\n"
		"mappings resynchronised with /proc/PID/maps after lost events: 2 times since attach\n"));
	free(text);
	text = render(report_print_json, &m.r);
	assert_non_null(strstr(
		text,
		"\"unattributed_mapped_bytes\":4096,\"unattributed_mapped_count\":1,"));
	assert_non_null(strstr(text, "},\"mapping_resyncs\":2,\"processes\":"));
	free(text);
}

static void test_json_hostile_names(void **state)
{
	struct model m;
	char *text;

	build(&m, false);
	m.frames[1].function = "bad\"\\\n\x01\xff\xc3";
	strcpy(m.pr.comm, "\x1b[31mred");
	text = render(report_print_json, &m.r);
	assert_non_null(strstr(text, "\"comm\":\"\\u001b[31mred\""));
	assert_non_null(strstr(
		text,
		"\"symbol\":\"bad\\\"\\\\\\u000a\\u0001\xef\xbf\xbd\xef\xbf\xbd\""));
	free(text);
}

static void test_folded(void **state)
{
	struct model m;
	size_t len;
	char *text;

	build(&m, false);
	m.frames[4].function = "a;b";
	text = folded_report_text(&m.r, false, &len);
	assert_non_null(text);
	/* Root first, inlined calls below their caller, sorted by stack. */
	assert_string_equal(
		text,
		"[unknown stack] 8192\n"
		"app.main;a_b;jitted;[anon]+0x1000;leak_here;helper 4096\n");
	assert_int_equal(len, strlen(text));
	free(text);
	text = folded_report_text(&m.r, true, &len);
	assert_string_equal(
		text,
		"app (77);[unknown stack] 8192\n"
		"app (77);app.main;a_b;jitted;[anon]+0x1000;leak_here;helper 4096\n");
	free(text);
	/* Stacks without outstanding bytes are left out; equal ones merge. */
	m.rows[1].map_bytes = 0;
	m.stacks[1] = m.stacks[0];
	text = folded_report_text(&m.r, false, &len);
	assert_string_equal(
		text,
		"app.main;a_b;jitted;[anon]+0x1000;leak_here;helper 8192\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_text),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_resync),
		cmocka_unit_test(test_json_hostile_names),
		cmocka_unit_test(test_folded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
