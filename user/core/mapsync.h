/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The mapping tracker against /proc/PID/maps: what a process had mapped
 * before tracing (a baseline, not counted), and after lost mapping events
 * what it really has (a resync: unknown memory becomes unattributed).
 */
#ifndef LT_MAPSYNC_H
#define LT_MAPSYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "core/mappings.h"

struct map_entry;

/*
 * The ranges of entries[0..n) the tracker would have seen mapped (anonymous
 * ones, file ones too with file_mappings), into out (room for n). Returns
 * how many.
 */
size_t mapsync_ranges(const struct map_entry *entries, size_t n,
		      bool file_mappings, struct mrange *out);

/*
 * Read /proc/PID/maps and resync the tracker's view of pid with it,
 * unknown memory added under fill_stack: LT_STACK_UNATTRIBUTED after lost
 * events, MTRACK_RESERVED for a baseline (there before tracing, not
 * counted). 0 or -errno (ENOENT: the process is gone).
 */
int mapsync_process(struct mtrack *t, pid_t pid, bool file_mappings,
		    uint64_t fill_stack, struct mresync *out);

#endif
