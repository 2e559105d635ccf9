// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The mapping tracker against /proc/PID/maps. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/mapsync.h"
#include "lib/procmaps.h"
#include "lib/vec.h"

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/*
 * Memory of no file: private anonymous mappings, the brk heap, named ones
 * (PR_SET_VMA_ANON_NAME), and shared anonymous ones, which the kernel backs
 * by a deleted /dev/zero. [stack], [vdso] and the like are the kernel's.
 */
static bool is_anonymous(const struct map_entry *e)
{
	if (!e->path[0] || !strcmp(e->path, "[heap]") ||
	    starts_with(e->path, "[anon:") ||
	    starts_with(e->path, "[anon_shmem:"))
		return true;
	return e->deleted && !strcmp(e->path, "/dev/zero");
}

static bool is_file(const struct map_entry *e)
{
	return e->inode != 0 && e->path[0] == '/';
}

size_t mapsync_ranges(const struct map_entry *entries, size_t n,
		      bool file_mappings, struct mrange *out)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		const struct map_entry *e = &entries[i];

		if (!is_anonymous(e) && !(file_mappings && is_file(e)))
			continue;
		out[k++] = (struct mrange){
			.start = e->start,
			.end = e->end,
			/* PROT_NONE reserves addresses and uses no memory. */
			.counts = e->readable || e->writable || e->executable,
		};
	}
	return k;
}

/*
 * The ranges of /proc/PID/maps, one line at a time: a process may have
 * tens of thousands of mappings, and a parsed entry holds a whole path.
 * A line that does not parse (a path longer than PATH_MAX) is no memory
 * of ours: skipped.
 */
static int read_ranges(FILE *f, bool file_mappings, struct mrange **out,
		       size_t *n)
{
	static struct map_entry e; /* PATH_MAX: too big for the stack */
	size_t cap = 0, line_cap = 0;
	char *line = NULL;
	int err = 0;

	while (getline(&line, &line_cap, f) >= 0) {
		if (procmaps_parse_line(line, &e))
			continue;
		err = VEC_RESERVE(out, &cap, *n + 1);
		if (err)
			break;
		*n += mapsync_ranges(&e, 1, file_mappings, *out + *n);
	}
	free(line);
	if (!err && ferror(f))
		err = -EIO;
	return err;
}

int mapsync_process(struct mtrack *t, pid_t pid, bool file_mappings,
		    uint64_t fill_stack, struct mresync *out)
{
	struct mrange *ranges = NULL;
	char path[64];
	size_t n = 0;
	FILE *f;
	int err;

	*out = (struct mresync){ 0 };
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	err = read_ranges(f, file_mappings, &ranges, &n);
	fclose(f);
	/* A process with no mappings left is exiting: keep what we know. */
	if (!err && n)
		err = mtrack_resync(t, pid, ranges, n, fill_stack, out);
	free(ranges);
	return err;
}
