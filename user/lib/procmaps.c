/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reading /proc/PID/maps. */
#include <errno.h>
#include <stdio.h>
#include <sys/sysmacros.h>
#include <stdlib.h>
#include <string.h>

#include "lib/units.h"
#include "lib/procmaps.h"
#include "lib/vec.h"

#define DELETED_SUFFIX " (deleted)"

/*
 * An unsigned number in the given base (10 or 16) at *p, advancing *p.
 * Stricter than strtoull: no sign, no blanks, no "0x", no overflow.
 */
static int parse_number(const char **p, unsigned int base, uint64_t *val)
{
	const char *s = *p;
	uint64_t v = 0;
	int d;

	for (; (d = hex_digit(*s)) >= 0 && (unsigned int)d < base; s++) {
		if (__builtin_mul_overflow(v, base, &v) ||
		    __builtin_add_overflow(v, (uint64_t)d, &v))
			return -EINVAL;
	}
	if (s == *p)
		return -EINVAL;
	*val = v;
	*p = s;
	return 0;
}

/* Consume the expected character c at *p. */
static int expect_char(const char **p, char c)
{
	if (**p != c)
		return -EINVAL;
	(*p)++;
	return 0;
}

/* At least one blank (the kernel pads the inode column with spaces). */
static int skip_blanks(const char **p)
{
	const char *s = *p;

	while (*s == ' ' || *s == '\t')
		s++;
	if (s == *p)
		return -EINVAL;
	*p = s;
	return 0;
}

/* One permission column: the letter on or '-' off. */
static int parse_flag(const char **p, char on, bool *flag)
{
	if (**p != on && **p != '-')
		return -EINVAL;
	*flag = **p == on;
	(*p)++;
	return 0;
}

static int parse_perms(const char **p, struct map_entry *e)
{
	if (parse_flag(p, 'r', &e->readable) ||
	    parse_flag(p, 'w', &e->writable) ||
	    parse_flag(p, 'x', &e->executable))
		return -EINVAL;
	if (**p != 's' && **p != 'p')
		return -EINVAL;
	e->shared = **p == 's';
	(*p)++;
	return 0;
}

static int parse_u32(const char **p, unsigned int base, uint32_t *val)
{
	uint64_t v;

	if (parse_number(p, base, &v) || v > UINT32_MAX)
		return -EINVAL;
	*val = (uint32_t)v;
	return 0;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t suffix_len = strlen(suffix);

	return len >= suffix_len &&
	       memcmp(s + len - suffix_len, suffix, suffix_len) == 0;
}

/* The path column: the rest of the line, which may contain blanks. */
static int parse_path(const char *s, struct map_entry *e)
{
	size_t len = strcspn(s, "\n");

	if (s[len] == '\n' && s[len + 1] != '\0')
		return -EINVAL;
	e->deleted = ends_with(s, len, DELETED_SUFFIX);
	if (e->deleted)
		len -= strlen(DELETED_SUFFIX);
	/* Truncating would name another file, which is worse than none. */
	if (len >= sizeof(e->path))
		return -ENAMETOOLONG;
	memcpy(e->path, s, len);
	e->path[len] = '\0';
	return 0;
}

/* Like procmaps_parse_line, but -ENAMETOOLONG for an over-long path. */
static int parse_line(const char *s, struct map_entry *e)
{
	if (parse_number(&s, 16, &e->start) || expect_char(&s, '-') ||
	    parse_number(&s, 16, &e->end) || e->end < e->start ||
	    skip_blanks(&s) || parse_perms(&s, e) || skip_blanks(&s) ||
	    parse_number(&s, 16, &e->offset) || skip_blanks(&s) ||
	    parse_u32(&s, 16, &e->dev_major) || expect_char(&s, ':') ||
	    parse_u32(&s, 16, &e->dev_minor) || skip_blanks(&s) ||
	    parse_number(&s, 10, &e->inode))
		return -EINVAL;
	/* Anonymous mappings end right after the inode. */
	if (*s == '\0' || (*s == '\n' && s[1] == '\0')) {
		e->path[0] = '\0';
		e->deleted = false;
		return 0;
	}
	if (skip_blanks(&s))
		return -EINVAL;
	return parse_path(s, e);
}

int procmaps_parse_line(const char *line, struct map_entry *e)
{
	if (!line || !e)
		return -EINVAL;
	return parse_line(line, e) ? -EINVAL : 0;
}

/* Make room for one more entry in *entries. */
static int reserve_entry(struct map_entry **entries, size_t n, size_t *cap)
{
	return VEC_RESERVE(entries, cap, n + 1);
}

/* Parse every line of f into a growing array. */
static int read_entries(FILE *f, struct map_entry **entries, size_t *n)
{
	struct map_entry *arr = NULL;
	size_t count = 0, cap = 0, line_cap = 0;
	char *line = NULL;
	int err = 0;

	errno = 0;
	while (getline(&line, &line_cap, f) >= 0) {
		err = reserve_entry(&arr, count, &cap);
		if (err)
			break;
		err = parse_line(line, &arr[count]);
		/* A path longer than PATH_MAX is of no use to anybody: skip. */
		if (err == -ENAMETOOLONG) {
			err = 0;
			continue;
		}
		if (err)
			break;
		count++;
	}
	if (!err && ferror(f))
		err = errno ? -errno : -EIO;
	free(line);
	if (err) {
		free(arr);
		return err;
	}
	*entries = arr;
	*n = count;
	return 0;
}

int procmaps_read(int pid, struct map_entry **entries, size_t *n)
{
	char path[64];
	FILE *f;
	int err;

	*entries = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	err = read_entries(f, entries, n);
	fclose(f);
	return err;
}

const struct map_entry *procmaps_find(const struct map_entry *entries, size_t n,
				      uint64_t addr)
{
	size_t lo = 0, hi = n;

	/* Find the first entry starting above addr; its predecessor may hold it. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (entries[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || addr >= entries[lo - 1].end)
		return NULL;
	return &entries[lo - 1];
}

bool procmaps_same_file(const struct map_entry *e, dev_t dev, ino_t ino)
{
	return e->inode == ino && e->dev_major == major(dev) &&
	       e->dev_minor == minor(dev);
}
