/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The dynamic linker's list of loaded modules (r_debug.r_map), read from a
 * live process: the executable, LD_PRELOAD libraries, then libraries in
 * load order, which is the order symbols are looked up in.
 */
#ifndef LT_LINKMAP_H
#define LT_LINKMAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LINKMAP_MAX 1024

/*
 * Store the address of each module's dynamic section (l_ld), in link-map
 * order, in out[0..max). Returns the count, 0 when the process has no
 * link map yet (static, or the dynamic linker has not started), or -errno.
 * Target memory is untrusted: the walk is bounded and checked for loops.
 */
int linkmap_read(pid_t pid, uint64_t *out, size_t max);

#endif
