/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Where to put a function's uprobe. The kernel emulates a few instructions
 * (relative branches, pushes, nops) and single-steps all others, which
 * costs an extra trap: an order of magnitude more per hit. So the probe goes
 * on the first instruction of the function's entry that the running kernel
 * emulates, as long as every instruction before it leaves the stack pointer
 * (the return address is still at the top of the stack, which the entry
 * program reads and a return probe rewrites), the frame pointer and the
 * argument registers the probe reads as they were at entry. x86-64 only;
 * anything else is probed at its entry.
 */
#ifndef LT_PLACEMENT_H
#define LT_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes decoded from a function's entry. */
#define PLACEMENT_MAX_PREFIX 64

/* A kernel release, major.minor, as KERNEL_VERSION(major, minor, 0). */
#define PLACEMENT_KV(major, minor) (((major) << 16) | ((minor) << 8))

struct placement {
	uint64_t entry;	  /* file offset of the function */
	uint64_t offset;  /* file offset to probe (entry when none better) */
	bool emulated;	  /* the kernel emulates the instruction at offset */
	char insn[64];	  /* that instruction, "je 0x98fb8" */
	char reason[160]; /* "test single-stepped; je emulated" */
};

/* The running kernel's release (uname), 0 when it cannot be read. */
unsigned int placement_kernel(void);

/*
 * Does a kernel of release kver emulate the instruction of len bytes at
 * insn? Exact encodings only: what the kernel would reject or single-step
 * is not emulated.
 */
bool placement_emulated(const uint8_t *insn, size_t len, unsigned int kver);

/*
 * Choose where to probe a function whose first len bytes are code, at file
 * offset entry, for a kernel of release kver. nargs is the number of
 * argument registers the probe reads (0-3: rdi, rsi, rdx). Only the code is
 * looked at: jumps from elsewhere into the prefix are not checked here.
 * Returns 0, or -ENOMEM/-EINVAL when the disassembler cannot start.
 */
int placement_choose(const uint8_t *code, size_t len, uint64_t entry, int nargs,
		     unsigned int kver, struct placement *out);

/*
 * Placement of n functions of the ELF file at path (file offsets
 * offsets[i], reading nargs[i] argument registers) for the running kernel.
 * A placement past the entry is kept only if no direct jump or call in the
 * file lands inside the instructions it skips. Every out[i] is filled, at
 * worst with the entry. Returns 0 or -errno (the file cannot be read).
 */
int probe_placements(const char *path, const uint64_t *offsets,
		     const int *nargs, size_t n, struct placement *out);

/* The same for one function. */
int probe_placement(const char *path, uint64_t func_offset, int nargs,
		    struct placement *out);

/*
 * One line for -v: "je, emulated; 3 bytes in: test single-stepped; je
 * emulated", or "push, emulated; at entry: push emulated".
 */
void placement_describe(const struct placement *p, char *buf, size_t len);

#endif
