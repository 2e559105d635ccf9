/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Trace event ids from tracefs, for perf-event tracepoint attachment. */
#ifndef LT_TRACEFS_H
#define LT_TRACEFS_H

#include <stddef.h>

/*
 * The ids of the events names[0..n) of one category ("syscalls"), into
 * ids. Where tracefs is not mounted it is mounted in a private mount
 * namespace of a short-lived child, so the host's mounts stay as they
 * are. 0, or -errno when any event is missing.
 */
int tracefs_event_ids(const char *category, const char *const *names, size_t n,
		      int *ids);

#endif
