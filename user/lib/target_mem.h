/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reading the traced process's memory, which is never written. */
#ifndef LT_TARGET_MEM_H
#define LT_TARGET_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Read exactly len bytes at addr in pid: 0, or -errno (-EFAULT: short). */
int target_read(pid_t pid, uint64_t addr, void *buf, size_t len);

#endif
