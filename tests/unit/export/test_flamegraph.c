/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests for user/flamegraph.c on profiles built by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/flamegraph.h"

#define SPAN (FG_WIDTH - 2 * FG_PAD)

static struct prof_frame frame(struct profile *p, const char *name,
			       enum frame_kind kind)
{
	struct prof_frame f = { .kind = kind };

	f.name = profile_intern(p, name);
	f.file = profile_intern(p, "");
	return f;
}

/*
 * main -> fill_cache 8000 B (stable), main -> leak 2000 B (was 500),
 * main -> handle (app.py:7) 1000 B, main -> gone 0 B (was 3000).
 */
static void build(struct profile *p)
{
	struct prof_frame f[2];

	memset(p, 0, sizeof(*p));
	f[1] = frame(p, "main", FK_NATIVE);
	f[0] = frame(p, "fill_cache", FK_NATIVE);
	assert_int_equal(profile_add(p, f, 2, 8000, 80, 8000, 10, "app"), 0);
	f[0] = frame(p, "leak", FK_NATIVE);
	assert_int_equal(profile_add(p, f, 2, 2000, 20, 500, 10, "app"), 0);
	f[0] = frame(p, "handle", FK_PYTHON);
	f[0].file = profile_intern(p, "/srv/app.py");
	f[0].line = 7;
	assert_int_equal(profile_add(p, f, 2, 1000, 1, 1000, 10, "app"), 0);
	f[0] = frame(p, "gone", FK_NATIVE);
	assert_int_equal(profile_add(p, f, 2, 0, 0, 3000, 10, "app"), 0);
}

static char *render_with(const struct profile *p, const struct fg_options *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(flamegraph_write(f, p, o), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static char *render(const struct profile *p, bool growth, bool roots)
{
	struct fg_options o = { .title = "t",
				.subtitle = "s",
				.growth = growth,
				.process_roots = roots };

	return render_with(p, &o);
}

static char *render_titled(const struct profile *p, const char *title)
{
	struct fg_options o = { .title = title, .subtitle = "s" };

	return render_with(p, &o);
}

/* The <g ...> opening tag of the frame named name (first one). */
static char *frame_tag(const char *svg, const char *name, char *buf, size_t len)
{
	char needle[128];
	const char *at, *start, *end;

	snprintf(needle, sizeof(needle), " data-n=\"%s\"", name);
	at = strstr(svg, needle);
	if (!at)
		fail_msg("no frame %s in\n%s", name, svg);
	for (start = at; start > svg && strncmp(start, "<g ", 3); start--)
		;
	end = strchr(at, '>');
	snprintf(buf, len, "%.*s", (int)(end - start + 1), start);
	return buf;
}

static long attr(const char *tag, const char *name)
{
	char needle[32];
	const char *at;

	snprintf(needle, sizeof(needle), " %s=\"", name);
	at = strstr(tag, needle);
	assert_non_null(at);
	return strtol(at + strlen(needle), NULL, 10);
}

/* The width of the rect following the frame's tag. */
static double rect_width(const char *svg, const char *name)
{
	char needle[128];
	const char *at;

	snprintf(needle, sizeof(needle), " data-n=\"%s\"", name);
	at = strstr(svg, needle);
	assert_non_null(at);
	at = strstr(at, "<rect ");
	at = strstr(at, " width=\"");
	return strtod(at + 8, NULL);
}

static void test_document(void **state)
{
	struct profile p;
	char *svg;

	build(&p);
	svg = render(&p, false, false);
	assert_memory_equal(svg, "<?xml ", 6);
	assert_non_null(
		strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
	assert_string_equal(svg + strlen(svg) - 7, "</svg>\n");
	assert_non_null(
		strstr(svg, "<script type=\"text/ecmascript\"><![CDATA["));
	assert_non_null(strstr(svg, "id=\"search\""));
	/* Self-contained: nothing is loaded from anywhere. */
	assert_null(strstr(svg, "href"));
	assert_null(strstr(svg, " src="));
	assert_null(strstr(svg, "@import"));
	assert_null(strstr(svg, "url("));
	/* Units people read. */
	assert_non_null(strstr(svg, "10.7 KiB in 101 blocks"));
	free(svg);
	profile_free(&p);
}

static void test_widths(void **state)
{
	struct profile p;
	char tag[512], *svg;

	build(&p);
	svg = render(&p, false, false);
	assert_int_equal(
		attr(frame_tag(svg, "all", tag, sizeof(tag)), "data-v"), 11000);
	assert_int_equal(
		attr(frame_tag(svg, "main", tag, sizeof(tag)), "data-v"),
		11000);
	frame_tag(svg, "fill_cache", tag, sizeof(tag));
	assert_int_equal(attr(tag, "data-v"), 8000);
	assert_int_equal(attr(tag, "data-d"), 2);
	assert_int_equal(attr(tag, "data-c"), 80);
	assert_float_equal(rect_width(svg, "fill_cache"), 8000.0 * SPAN / 11000,
			   0.01);
	assert_float_equal(rect_width(svg, "leak"), 2000.0 * SPAN / 11000,
			   0.01);
	/* Children in name order, side by side from the parent's left. */
	assert_int_equal(
		attr(frame_tag(svg, "fill_cache", tag, sizeof(tag)), "data-o"),
		0);
	assert_int_equal(
		attr(frame_tag(svg, "handle (app.py:7)", tag, sizeof(tag)),
		     "data-o"),
		8000);
	assert_int_equal(
		attr(frame_tag(svg, "leak", tag, sizeof(tag)), "data-o"), 9000);
	/* A freed stack has no width, so no frame. */
	assert_null(strstr(svg, "data-n=\"gone\""));
	free(svg);
	profile_free(&p);
}

static void test_kinds(void **state)
{
	struct profile p;
	char tag[512], *svg;

	build(&p);
	svg = render(&p, false, false);
	assert_non_null(strstr(
		frame_tag(svg, "handle (app.py:7)", tag, sizeof(tag)), "k-py"));
	assert_non_null(
		strstr(frame_tag(svg, "leak", tag, sizeof(tag)), "k-native"));
	assert_non_null(
		strstr(frame_tag(svg, "all", tag, sizeof(tag)), "k-pseudo"));
	/* The tooltip names the source of a Python frame. */
	assert_non_null(strstr(svg, "Python, /srv/app.py:7"));
	free(svg);
	profile_free(&p);
}

static void test_growth(void **state)
{
	struct profile p;
	char tag[512], *svg;

	build(&p);
	svg = render(&p, true, false);
	assert_non_null(strstr(svg, "data-mode=\"growth\""));
	frame_tag(svg, "leak", tag, sizeof(tag));
	assert_non_null(strstr(tag, "gr-g"));
	assert_int_equal(attr(tag, "data-b"), 500);
	assert_non_null(
		strstr(frame_tag(svg, "fill_cache", tag, sizeof(tag)), "gr-u"));
	/* main lost the 3000 B of the freed stack and gained 1500 B. */
	frame_tag(svg, "main", tag, sizeof(tag));
	assert_non_null(strstr(tag, "gr-s"));
	assert_int_equal(attr(tag, "data-b"), 12500);
	/* Widths stay the outstanding bytes. */
	assert_float_equal(rect_width(svg, "leak"), 2000.0 * SPAN / 11000,
			   0.01);
	free(svg);
	profile_free(&p);
}

static void test_escaping_and_labels(void **state)
{
	struct prof_frame f[2];
	struct profile p = { 0 };
	char *svg;

	f[1] = frame(&p, "operator<(a&b, \"c\")", FK_NATIVE);
	f[0] = frame(&p, "bad\xff\x01utf8 \xc3\xa9", FK_NATIVE);
	assert_int_equal(profile_add(&p, f, 2, 100, 1, 100, 1, "x<y"), 0);
	f[0] = frame(&p, "a_function_with_a_rather_long_name_indeed",
		     FK_NATIVE);
	assert_int_equal(profile_add(&p, f, 2, 1, 1, 1, 1, "x<y"), 0);
	svg = render(&p, false, true);
	assert_non_null(
		strstr(svg, "data-n=\"operator&lt;(a&amp;b, &quot;c&quot;)\""));
	assert_non_null(strstr(svg, "data-n=\"bad??utf8 \xc3\xa9\""));
	assert_null(strstr(svg, "\xff"));
	/* Process roots when asked. */
	assert_non_null(strstr(svg, "data-n=\"x&lt;y (1)\""));
	/* A narrow frame keeps its name for the tooltip, not its label. */
	assert_non_null(strstr(
		svg, "data-n=\"a_function_with_a_rather_long_name_indeed\""));
	assert_null(strstr(
		svg, ">a_function_with_a_rather_long_name_indeed</text>"));
	free(svg);
	/* Noncharacters XML forbids, a tab and an escape in the title. */
	f[0] = frame(&p, "nc\xef\xbf\xbe\xef\xbf\xbf\xef\xbf\xbdx", FK_NATIVE);
	assert_int_equal(profile_add(&p, f, 2, 1, 1, 1, 1, "x<y"), 0);
	svg = render_titled(&p, "ti\ttle\x1b[7m");
	assert_non_null(strstr(svg, "data-n=\"nc??\xef\xbf\xbdx\""));
	assert_non_null(strstr(svg, ">ti?tle?[7m</text>"));
	assert_null(strstr(svg, "\x1b"));
	free(svg);
	profile_free(&p);
}

static void test_empty(void **state)
{
	struct profile p = { 0 };
	char *svg = render(&p, false, false);

	assert_non_null(strstr(svg, "No outstanding memory"));
	assert_null(strstr(svg, "data-n="));
	free(svg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_document),
		cmocka_unit_test(test_widths),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_escaping_and_labels),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
