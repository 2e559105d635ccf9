/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Facts about processes from /proc. */
#ifndef LT_PROC_H
#define LT_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The process exists and has not exited (zombies count as gone). */
bool proc_alive(pid_t pid);

/* Command name (comm), "?" when unavailable. */
void proc_comm(pid_t pid, char *buf, size_t len);

/* Resident set size in bytes, or -1. */
int64_t proc_rss_bytes(pid_t pid);

/* "/proc/PID/root" + path: the file as the process sees it (containers). */
void proc_root_path(pid_t pid, const char *path, char *out, size_t len);

/*
 * The children of a process (all its threads'), in a malloc'd array.
 * Returns the count, 0 when none or unknown.
 */
size_t proc_children(pid_t pid, pid_t **children);

#endif
