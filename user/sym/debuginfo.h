/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Finding the separate debug file of a module the way distributions ship
 * it (/usr/lib/debug, .gnu_debuglink), inside the traced process's root
 * and on the host, and from debuginfod servers within a time budget.
 */
#ifndef LT_DEBUGINFO_H
#define LT_DEBUGINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct debug_want {
	const unsigned char *id; /* build-id, NULL when none */
	size_t id_len;
	const char *link; /* .gnu_debuglink name, NULL when none */
	uint32_t crc;	  /* its CRC, checked when there is no build-id */
	const struct stat *main_st; /* the module itself, never taken */
};

/*
 * Open the debug file of the module at path (as the process sees it)
 * under root ("/proc/PID/root", or "" for the host only): by build-id in
 * ROOT/usr/lib/debug/.build-id/ then in the host's, else by debuglink
 * name next to the module, in its .debug directory and under
 * ROOT/usr/lib/debug/DIR. A candidate must carry the same build-id (or,
 * without one, the debuglink's CRC). Returns an fd and the path in
 * *found (malloc'd), or -1.
 */
int debuginfo_find_local(const char *root, const char *path,
			 const struct debug_want *w, char **found);

/* Whether an open file is the debug file wanted. */
bool debuginfo_matches(int fd, const struct debug_want *w);

/*
 * Download the debug file of a build-id from the servers in
 * DEBUGINFOD_URLS, if set. Bounded: a query with no data coming for 3 s
 * is cut off, after a failure that took time the servers are left alone
 * for a minute, and a build-id that failed is not asked again. Returns an
 * fd and *found, or -1.
 */
int debuginfo_fetch(const unsigned char *id, size_t id_len, char **found);

#endif
