/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Folded stacks ("root;caller;leaf bytes"), the flame graph input format. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/stacks.h"
#include "export/folded.h"
#include "lib/outfile.h"

#define UNKNOWN_FRAME "[unknown]"
/* Frames past this length of a line are left out. */
#define LINE_MAX_LEN  (STACK_MAX_FRAMES * 64)

static bool is_blank(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* ';' separates frames and control characters would break lines. */
static char safe_char(unsigned char c)
{
	if (c == ';' || c < 0x20 || c == 0x7f)
		return '_';
	return (char)c;
}

static bool is_utf8_continuation(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/* Drop a multi-byte UTF-8 character that truncation cut in half. */
static size_t drop_partial_utf8(const char *buf, size_t n)
{
	size_t k = n;

	while (k > 0 && is_utf8_continuation((unsigned char)buf[k - 1]))
		k--;
	if (k > 0 && ((unsigned char)buf[k - 1] & 0xc0) == 0xc0)
		k--;
	return k;
}

char *folded_frame(char *buf, size_t len, const char *name)
{
	size_t begin = 0, end, n, i;

	if (len == 0)
		return buf;
	if (!name)
		name = "";
	end = strlen(name);
	while (begin < end && is_blank((unsigned char)name[begin]))
		begin++;
	while (end > begin && is_blank((unsigned char)name[end - 1]))
		end--;
	n = end - begin;
	if (n > len - 1) {
		n = len - 1;
		if (is_utf8_continuation((unsigned char)name[begin + n]))
			n = drop_partial_utf8(name + begin, n);
		while (n > 0 && is_blank((unsigned char)name[begin + n - 1]))
			n--;
	}
	if (n == 0) {
		snprintf(buf, len, "%s", UNKNOWN_FRAME);
		return buf;
	}
	for (i = 0; i < n; i++)
		buf[i] = safe_char((unsigned char)name[begin + i]);
	buf[n] = '\0';
	return buf;
}

static int cmp_line_stack(const void *a, const void *b)
{
	const struct folded_line *const *x = a, *const *y = b;

	return strcmp((*x)->stack, (*y)->stack);
}

/* Lines sorted by stack, as pointers into lines; NULL for n == 0. */
static int sort_lines(const struct folded_line *lines, size_t n,
		      const struct folded_line ***sorted)
{
	const struct folded_line **ptrs;
	size_t i;

	*sorted = NULL;
	if (n == 0)
		return 0;
	ptrs = calloc(n, sizeof(*ptrs));
	if (!ptrs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		/* A line without a stack cannot be written meaningfully. */
		if (!lines[i].stack || lines[i].stack[0] == '\0') {
			free(ptrs);
			return -EINVAL;
		}
		ptrs[i] = &lines[i];
	}
	qsort(ptrs, n, sizeof(*ptrs), cmp_line_stack);
	*sorted = ptrs;
	return 0;
}

/* Sum without wrapping: a saturated total still sorts as "huge". */
static uint64_t add_saturating(uint64_t a, uint64_t b)
{
	uint64_t sum;

	if (__builtin_add_overflow(a, b, &sum))
		return UINT64_MAX;
	return sum;
}

/* Write runs of equal stacks as one line each. */
static int write_merged(FILE *f, const struct folded_line **sorted, size_t n)
{
	size_t i = 0;

	while (i < n) {
		const char *stack = sorted[i]->stack;
		uint64_t bytes = 0;

		for (; i < n && strcmp(sorted[i]->stack, stack) == 0; i++)
			bytes = add_saturating(bytes, sorted[i]->bytes);
		if (bytes == 0)
			continue;
		if (fprintf(f, "%s %" PRIu64 "\n", stack, bytes) < 0)
			return errno ? -errno : -EIO;
	}
	return 0;
}

/* The merged lines as text (malloc'd, *len bytes); NULL without memory. */
static char *merged_text(const struct folded_line **sorted, size_t n,
			 size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	int err;

	if (!f)
		return NULL;
	errno = 0;
	err = write_merged(f, sorted, n);
	if (fclose(f) != 0 || err) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *folded_text(const struct folded_line *lines, size_t n, size_t *len)
{
	const struct folded_line **sorted;
	char *text;

	if (n > 0 && !lines)
		return NULL;
	if (sort_lines(lines, n, &sorted))
		return NULL;
	text = merged_text(sorted, n, len);
	free(sorted);
	return text;
}

int folded_write(const char *path, const struct folded_line *lines, size_t n)
{
	const struct folded_line **sorted;
	char *text;
	size_t len = 0;
	int err;

	if (!path || (n > 0 && !lines))
		return -EINVAL;
	err = sort_lines(lines, n, &sorted);
	if (err)
		return err;
	text = merged_text(sorted, n, &len);
	free(sorted);
	if (!text)
		return -ENOMEM;
	err = outfile_write(path, text, len);
	free(text);
	return err;
}

/* ---- from a report ------------------------------------------------------ */

static void append(char *line, size_t *used, const char *frame)
{
	size_t len = strlen(frame);

	if (*used + len + 2 >= LINE_MAX_LEN)
		return;
	if (*used)
		line[(*used)++] = ';';
	memcpy(line + *used, frame, len + 1);
	*used += len;
}

char *folded_stack(const struct proc_report *pr, const struct report_stack *st,
		   bool process_root)
{
	char *line = malloc(LINE_MAX_LEN), *fit, name[512], safe[512];
	size_t n = st->n_frames, used = 0;

	if (!line)
		return NULL;
	line[0] = '\0';
	if (process_root) {
		snprintf(name, sizeof(name), "%s (%d)", pr->comm, pr->pid);
		append(line, &used, folded_frame(safe, sizeof(safe), name));
	}
	/* Root first; an inlined call is a frame below its caller. */
	while (n--) {
		report_frame_short(&st->frames[n], name, sizeof(name));
		append(line, &used, folded_frame(safe, sizeof(safe), name));
	}
	if (!used)
		append(line, &used, "[unknown stack]");
	/* Every stack's line is kept until the text is written. */
	fit = realloc(line, used + 1);
	return fit ? fit : line;
}

static void free_lines(struct folded_line *lines, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free((char *)lines[i].stack);
	free(lines);
}

/* A line per stack with outstanding bytes, in report order. */
static int report_lines(const struct report *r, bool process_roots,
			struct folded_line **out, size_t *n_out)
{
	struct folded_line *lines;
	size_t i, j, n = 0, total = 0;

	for (i = 0; i < r->n_procs; i++)
		total += r->procs[i].n_all;
	lines = calloc(total + 1, sizeof(*lines));
	if (!lines)
		return -ENOMEM;
	for (i = 0; i < r->n_procs; i++) {
		const struct proc_report *pr = &r->procs[i];

		for (j = 0; j < pr->n_all; j++) {
			const struct report_stack *st = pr->all[j];

			if (row_bytes(st->row) <= 0)
				continue;
			lines[n].bytes = row_bytes(st->row);
			lines[n].stack = folded_stack(pr, st, process_roots);
			if (!lines[n++].stack) {
				free_lines(lines, n);
				return -ENOMEM;
			}
		}
	}
	*out = lines;
	*n_out = n;
	return 0;
}

char *folded_report_text(const struct report *r, bool process_roots,
			 size_t *len)
{
	struct folded_line *lines;
	char *text;
	size_t n;

	if (report_lines(r, process_roots, &lines, &n))
		return NULL;
	text = folded_text(lines, n, len);
	free_lines(lines, n);
	return text;
}

int folded_write_report(const struct report *r, const char *path,
			bool process_roots)
{
	struct folded_line *lines;
	size_t n;
	int err = report_lines(r, process_roots, &lines, &n);

	if (err)
		return err;
	err = folded_write(path, lines, n);
	free_lines(lines, n);
	return err;
}
