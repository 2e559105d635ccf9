/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Facts about processes from /proc. */
#ifndef LT_PROC_H
#define LT_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

struct map_entry;

/* The fields of /proc/PID/stat leaktrace uses. */
struct proc_stat {
	char state;	     /* R, S, D, Z (zombie), X (dead), ... */
	unsigned int flags;  /* PF_* (field 9) */
	uint64_t start_time; /* clock ticks since boot (field 22) */
};

/* Read /proc/PID/stat: 0, or -1 when the process is gone. */
int proc_read_stat(pid_t pid, struct proc_stat *st);

/* The process exists and has not exited (zombies count as gone). */
bool proc_alive(pid_t pid);

/* PF_KTHREAD: a kernel thread, with no user memory. */
#define PROC_PF_KTHREAD 0x00200000u

/*
 * The value of "Key:" in /proc/PID/status (pid 0: our own), blanks
 * around it removed: 0, or -1 when the file or the key is missing.
 */
int proc_status_field(pid_t pid, const char *key, char *out, size_t len);

/* Command name (comm), "?" when unavailable. */
void proc_comm(pid_t pid, char *buf, size_t len);

/* Resident set size in bytes, or -1. */
int64_t proc_rss_bytes(pid_t pid);

/* "/proc/PID/root" + path: the file as the process sees it (containers). */
void proc_root_path(pid_t pid, const char *path, char *out, size_t len);

/*
 * The file a mapping of the process maps, as a path that reaches it: the
 * process's root + its path when that is still the same file (device and
 * inode), else /proc/PID/map_files/START-END (deleted or replaced files).
 * Its stat in *st. Returns 0 or -errno.
 */
int proc_mapped_path(pid_t pid, const struct map_entry *e, char *out,
		     size_t len, struct stat *st);

/* proc_mapped_path, opened read-only: an fd, or -1 with errno set. */
int proc_open_mapped(pid_t pid, const struct map_entry *e, char *out,
		     size_t len);

/*
 * The children of a process (all its threads'), in a malloc'd array.
 * Returns the count, 0 when none or unknown.
 */
size_t proc_children(pid_t pid, pid_t **children);

/* Whether tgid is one of the n pids. */
static inline bool proc_listed(const pid_t *pids, size_t n, uint32_t tgid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((uint32_t)pids[i] == tgid)
			return true;
	return false;
}

#endif
