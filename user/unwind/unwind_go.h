/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Go's stack switches, which its CFI does not describe: rows that replace
 * Go's own in a Go executable's table (found by its runtime's symbols).
 */
#ifndef LT_UNWIND_GO_H
#define LT_UNWIND_GO_H

#include <gelf.h>
#include "unwind/unwind_table.h"

/*
 * Patch t, the table of elf: runtime.asmcgocall's calls into C follow the
 * switch back to the goroutine's stack; the goroutine's outermost frame
 * (runtime.goexit) and the other switches (systemstack, mcall,
 * cgocallback) end the walk. Files without Go's runtime are left alone.
 * 0, or -ENOMEM.
 */
int unwind_go_patch(Elf *elf, struct unwind_table *t);

#endif
