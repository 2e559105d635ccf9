// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The mapping tracker against /proc/PID/maps. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core/mapsync.h"
#include "lib/procmaps.h"

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

int mapsync_process(struct mtrack *t, pid_t pid, bool file_mappings,
		    uint64_t fill_stack, struct mresync *out)
{
	struct map_entry *entries;
	struct mrange *ranges;
	size_t n;
	int err = procmaps_read(pid, &entries, &n);

	*out = (struct mresync){ 0 };
	if (err)
		return err;
	ranges = calloc(n + 1, sizeof(*ranges));
	if (!ranges) {
		free(entries);
		return -ENOMEM;
	}
	n = mapsync_ranges(entries, n, file_mappings, ranges);
	free(entries);
	/* A process with no mappings left is exiting: keep what we know. */
	if (n)
		err = mtrack_resync(t, pid, ranges, n, fill_stack, out);
	free(ranges);
	return err;
}
