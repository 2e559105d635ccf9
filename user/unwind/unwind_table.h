/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Unwind tables: a file's CFI (.eh_frame, and .debug_frame where it adds
 * ranges) as sorted compact rows the BPF walk applies, computed with
 * elfutils' CFI API (no DWARF interpreter of our own). x86-64 only.
 */
#ifndef LT_UNWIND_TABLE_H
#define LT_UNWIND_TABLE_H

#include <elfutils/libdw.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lt_unwind.h"

#define UNWIND_BUILD_ID_MAX 64

struct unwind_table {
	struct lt_unwind_row
		*rows; /* sorted by pc, adjacent duplicates merged */
	size_t n;
	size_t n_fdes;	  /* FDEs read */
	size_t n_invalid; /* rows whose rule the walk does not follow */
	unsigned char build_id[UNWIND_BUILD_ID_MAX];
	size_t build_id_len;
};

/*
 * Build the table of the ELF file open on fd (not closed). 0, -ENOENT when
 * it has no CFI, -EINVAL for a malformed or unsupported file, -ENOMEM.
 */
int unwind_table_build(int fd, struct unwind_table *t);

/* Same, from a path. */
int unwind_table_build_path(const char *path, struct unwind_table *t);

void unwind_table_free(struct unwind_table *t);

/*
 * The row holding at ELF address pc (the kernel's search, for tests and
 * -v), or NULL when pc is below the first row.
 */
const struct lt_unwind_row *unwind_table_find(const struct unwind_table *t,
					      uint64_t pc);

/*
 * Classify libdw's CFA expression and register rules into row r: the CFA
 * (rsp/rbp + offset, the PLT expression), the caller's rbp (same, saved at
 * CFA + n, or lost) and the return address (must be at CFA - 8, or
 * undefined at the outermost frame). ra_ops NULL with ra_undefined set
 * means the return address is undefined.
 */
void unwind_classify(const Dwarf_Op *cfa, size_t n_cfa, const Dwarf_Op *rbp,
		     size_t n_rbp, bool rbp_undefined, const Dwarf_Op *ra,
		     size_t n_ra, bool ra_undefined, bool signal,
		     struct lt_unwind_row *r);

/* A short name of a row's rule for -v and tests: "rsp+8", "plt", ... */
const char *unwind_cfa_name(unsigned int cfa_type);

#endif
