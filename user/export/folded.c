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

#include "export/folded.h"
#include "lib/outfile.h"

#define UNKNOWN_FRAME "[unknown]"

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

/* The merged lines in memory, then one outfile_write. */
static int write_out(const char *path, const struct folded_line **sorted,
		     size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int err;

	if (!f)
		return -ENOMEM;
	errno = 0;
	err = write_merged(f, sorted, n);
	if (fclose(f) != 0 && !err)
		err = -ENOMEM;
	if (!err)
		err = outfile_write(path, buf, len);
	free(buf);
	return err;
}

int folded_write(const char *path, const struct folded_line *lines, size_t n)
{
	const struct folded_line **sorted;
	int err;

	if (!path || (n > 0 && !lines))
		return -EINVAL;
	err = sort_lines(lines, n, &sorted);
	if (err)
		return err;
	err = write_out(path, sorted, n);
	free(sorted);
	return err;
}
