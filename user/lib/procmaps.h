/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reading /proc/PID/maps. */
#ifndef LT_PROCMAPS_H
#define LT_PROCMAPS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

struct map_entry {
	uint64_t start;
	uint64_t end;
	uint64_t offset; /* file offset of start */
	uint32_t dev_major;
	uint32_t dev_minor;
	uint64_t inode;
	bool readable, writable, executable, shared;
	bool deleted;	     /* path ended in " (deleted)"; stripped */
	char path[PATH_MAX]; /* "" for anonymous, "[heap]", ... */
};

/* Parse one line of /proc/PID/maps (with or without newline): 0 or -EINVAL. */
int procmaps_parse_line(const char *line, struct map_entry *e);

/*
 * Read all entries of /proc/PID/maps into a malloc'd array.
 * Returns 0, or -errno (ENOENT: no such process, EACCES, ...).
 */
int procmaps_read(int pid, struct map_entry **entries, size_t *n);

/* Whether the entry maps the file with this device and inode. */
bool procmaps_same_file(const struct map_entry *e, dev_t dev, ino_t ino);

/* The entry containing addr, or NULL. entries are sorted by start. */
const struct map_entry *procmaps_find(const struct map_entry *entries, size_t n,
				      uint64_t addr);

#endif
