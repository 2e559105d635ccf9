// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Probe placement (see placement.h): capstone decodes a function's first
 * instructions; a table by kernel release says which ones the kernel
 * emulates; every instruction the probe would skip must have effects we
 * know and that leave the stack pointer, the frame pointer and the argument
 * registers alone. Then no direct jump in the file may land inside the
 * skipped instructions, or the probe could fire twice for one call.
 */
#include <capstone/capstone.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "kernel/arch.h"
#include "kernel/placement.h"
#include "sym/elffile.h"

bool placement_emulated(const uint8_t *insn, size_t len, unsigned int kver)
{
	return kver >= arch_emulated_since(insn, len);
}

unsigned int placement_kernel(void)
{
	unsigned int major, minor;
	struct utsname u;

	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return 0;
	return PLACEMENT_KV(major, minor > 255 ? 255 : minor);
}

/* ---- choosing ------------------------------------------------------- */

/* Room kept in a reason for its conclusion. */
#define REASON_TAIL 56

static void say(struct placement *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Append "; ..." to out->reason. A long list of skipped instructions is cut
 * ("...") to keep room for the conclusion, which comes last.
 */
static void say(struct placement *out, const char *fmt, ...)
{
	size_t used = strlen(out->reason), room = sizeof(out->reason);
	const char *sep = used ? "; " : "";
	char part[REASON_TAIL];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(part, sizeof(part), fmt, ap);
	va_end(ap);
	if (strstr(part, " leaves args")) {
		if (used >= 3 && !strcmp(out->reason + used - 3, "..."))
			return;
		if (used + strlen(part) + 2 > room - REASON_TAIL) {
			snprintf(out->reason + used, room - used, "%s...", sep);
			return;
		}
	}
	snprintf(out->reason + used, room - used, "%s%s", sep, part);
}

/* "je 0x98fb8", cut to fit. */
static void describe(const cs_insn *in, char *buf, size_t len)
{
	const char *parts[3] = { in->mnemonic, in->op_str[0] ? " " : "",
				 in->op_str };
	size_t i, n = 0;

	for (i = 0; i < 3; i++) {
		size_t k = strlen(parts[i]);

		if (k > len - 1 - n)
			k = len - 1 - n;
		memcpy(buf + n, parts[i], k);
		n += k;
	}
	buf[n] = '\0';
}

static void start_at_entry(struct placement *out, uint64_t entry)
{
	memset(out, 0, sizeof(*out));
	out->entry = out->offset = entry;
	snprintf(out->insn, sizeof(out->insn), "(bad)");
}

static int open_disassembler(csh *h, cs_insn **in)
{
	if (cs_open(ARCH_CS_ARCH, ARCH_CS_MODE, h) != CS_ERR_OK)
		return -EINVAL;
	cs_option(*h, CS_OPT_DETAIL, CS_OPT_ON);
	*in = cs_malloc(*h);
	if (!*in) {
		cs_close(h);
		return -ENOMEM;
	}
	return 0;
}

static void close_disassembler(csh *h, cs_insn *in)
{
	cs_free(in, 1);
	cs_close(h);
}

int placement_choose(const uint8_t *code, size_t len, uint64_t entry, int nargs,
		     unsigned int kver, struct placement *out)
{
	/* Instructions starting in the first PLACEMENT_MAX_PREFIX bytes. */
	size_t left = len < PLACEMENT_MAX_PREFIX + 15
			      ? len
			      : PLACEMENT_MAX_PREFIX + 15;
	unsigned int mask = arch_watched_mask(nargs);
	bool first = true, stopped = false;
	uint64_t addr = entry;
	cs_insn *in;
	char why[48];
	csh h;
	int err;

	start_at_entry(out, entry);
	err = open_disassembler(&h, &in);
	if (err)
		return err;
	while (addr - entry < PLACEMENT_MAX_PREFIX &&
	       cs_disasm_iter(h, &code, &left, &addr, in)) {
		bool emulated = placement_emulated(in->bytes, in->size, kver);

		if (first || emulated) {
			describe(in, out->insn, sizeof(out->insn));
			out->offset = in->address;
			out->emulated = emulated;
		}
		if (emulated) {
			say(out, "%s emulated", in->mnemonic);
			break;
		}
		stopped = !arch_harmless(h, in, mask, why, sizeof(why));
		if (stopped) {
			say(out, "%s %s", in->mnemonic, why);
			break;
		}
		say(out, "%s %s", in->mnemonic,
		    first ? "single-stepped" : "leaves args");
		first = false;
	}
	if (!out->emulated) {
		out->offset = entry;
		if (first && !stopped)
			say(out, "cannot decode the entry");
		else if (!stopped && addr - entry < PLACEMENT_MAX_PREFIX)
			say(out, "cannot decode further");
		else if (!stopped)
			say(out, "nothing emulated in %d bytes",
			    PLACEMENT_MAX_PREFIX);
	}
	close_disassembler(&h, in);
	return 0;
}

/* ---- jumps into the skipped instructions ---------------------------- */

#define MAX_CODE_SEGS 8

/* An executable segment of the file, mapped by libelf. */
struct code_seg {
	const uint8_t *bytes;
	uint64_t offset, vaddr, size;
};

struct elf_code {
	struct elf_file file;
	bool native; /* code of the architecture we run on */
	struct code_seg segs[MAX_CODE_SEGS];
	size_t n_segs;
};

/* The instructions a placement skips, as addresses: (entry, chosen]. */
struct window {
	uint64_t lo, hi;
	bool hit;
};

static void close_code(struct elf_code *c)
{
	elffile_close(&c->file);
}

static void add_segment(struct elf_code *c, const struct elf_load *l,
			const uint8_t *raw, size_t raw_size)
{
	struct code_seg *s;

	if (c->n_segs == MAX_CODE_SEGS || l->offset > raw_size ||
	    l->filesz > raw_size - l->offset)
		return;
	s = &c->segs[c->n_segs++];
	s->bytes = raw + l->offset;
	s->offset = l->offset;
	s->vaddr = l->vaddr;
	s->size = l->filesz;
}

static int open_code(const char *path, struct elf_code *c)
{
	struct elf_loads loads;
	const uint8_t *raw;
	size_t i, raw_size;
	GElf_Ehdr eh;
	int err;

	memset(c, 0, sizeof(*c));
	err = elffile_open(path, &c->file);
	if (err)
		return err;
	if (!gelf_getehdr(c->file.elf, &eh)) {
		close_code(c);
		return -ENOEXEC;
	}
	elffile_loads(c->file.elf, &loads); /* none: no code to scan */
	c->native = gelf_getclass(c->file.elf) == ARCH_ELF_CLASS &&
		    eh.e_machine == ARCH_ELF_MACHINE;
	raw = (const uint8_t *)elf_rawfile(c->file.elf, &raw_size);
	for (i = 0; raw && i < loads.n; i++)
		if (loads.seg[i].flags & PF_X)
			add_segment(c, &loads.seg[i], raw, raw_size);
	return 0;
}

static const struct code_seg *seg_at(const struct elf_code *c, uint64_t offset)
{
	size_t i;

	for (i = 0; i < c->n_segs; i++)
		if (offset >= c->segs[i].offset &&
		    offset - c->segs[i].offset < c->segs[i].size)
			return &c->segs[i];
	return NULL;
}

static uint64_t offset_to_vaddr(const struct code_seg *s, uint64_t offset)
{
	return offset - s->offset + s->vaddr;
}

static void mark_target(uint64_t target, struct window *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (target >= w[i].lo && target <= w[i].hi)
			w[i].hit = true;
}

/*
 * Far jumps and calls are found by their bytes: every relative call, jmp
 * and jcc encoding anywhere in the code is taken as an instruction. That
 * finds every real one (and, rarely, data that looks like one: then the
 * placement falls back to the entry, which is safe).
 */
static void scan_rel32(const struct code_seg *s, struct window *w, size_t n)
{
	uint64_t i;

	for (i = 0; i + 5 <= s->size; i++) {
		uint64_t target;

		if (arch_rel_branch_at(s->bytes + i, s->size - i, s->vaddr + i,
				       &target))
			mark_target(target, w, n);
	}
}

static int match_function_at(const GElf_Sym *sym, const char *name, void *ctx)
{
	uint64_t *vaddr_then_size = ctx;

	if (sym->st_value != *vaddr_then_size || !sym->st_size ||
	    GELF_ST_TYPE(sym->st_info) != STT_FUNC)
		return 0;
	*vaddr_then_size = sym->st_size;
	return 1;
}

/* The size of the function symbol at vaddr, 0 when unknown. */
static uint64_t symbol_size(Elf *elf, uint64_t vaddr)
{
	uint64_t v = vaddr;

	return elffile_each_symbol(elf, match_function_at, &v) ? v : 0;
}

/*
 * Near jumps (loops back to the top of the function) are found by decoding
 * the function; without a symbol size, its first 4 KiB.
 */
static void scan_function(const struct elf_code *c, uint64_t entry,
			  struct window *w, size_t n)
{
	const struct code_seg *s = seg_at(c, entry);
	uint64_t addr, size, left;
	const uint8_t *code;
	cs_insn *in;
	csh h;

	if (!s || open_disassembler(&h, &in))
		return;
	addr = offset_to_vaddr(s, entry);
	size = symbol_size(c->file.elf, addr);
	left = s->size - (entry - s->offset);
	size = size ? size : 4096;
	left = size < left ? size : left;
	code = s->bytes + (entry - s->offset);
	while (left) {
		size_t chunk = left;

		if (cs_disasm_iter(h, &code, &chunk, &addr, in)) {
			uint64_t target;

			if (arch_direct_branch(h, in, &target))
				mark_target(target, w, n);
			left = chunk;
			continue;
		}
		/* Undecodable byte: step over it, as the CPU never runs it. */
		code++;
		addr++;
		left--;
	}
	close_disassembler(&h, in);
}

/* ---- placements in a file ------------------------------------------- */

static void place_one(const struct elf_code *c, uint64_t offset, int nargs,
		      unsigned int kver, struct placement *out)
{
	const struct code_seg *s = seg_at(c, offset);
	uint64_t left;

	start_at_entry(out, offset);
	if (!c->native) {
		snprintf(out->reason, sizeof(out->reason), "not %s code",
			 ARCH_NAME);
		return;
	}
	if (!s) {
		snprintf(out->reason, sizeof(out->reason),
			 "not in an executable segment");
		return;
	}
	left = s->size - (offset - s->offset);
	if (placement_choose(s->bytes + (offset - s->offset), left, offset,
			     nargs, kver, out))
		snprintf(out->reason, sizeof(out->reason),
			 "disassembler failed");
}

/* The placement cannot be kept: back to the entry, saying why. */
static void back_to_entry(const struct elf_code *c, struct placement *out,
			  const char *why)
{
	const struct code_seg *s = seg_at(c, out->entry);
	const uint8_t *code = s->bytes + (out->entry - s->offset);
	uint64_t addr = out->entry;
	size_t left = PLACEMENT_MAX_PREFIX;
	cs_insn *in;
	csh h;

	out->offset = out->entry;
	out->emulated = false;
	say(out, "%s: entry", why);
	if (left > s->size - (out->entry - s->offset))
		left = s->size - (out->entry - s->offset);
	if (open_disassembler(&h, &in))
		return;
	if (cs_disasm_iter(h, &code, &left, &addr, in))
		describe(in, out->insn, sizeof(out->insn));
	close_disassembler(&h, in);
}

/* Keep only the placements no jump lands inside. */
static int check_jumps(const struct elf_code *c, struct placement *out,
		       size_t n)
{
	struct window *w = calloc(n, sizeof(*w));
	bool any = false;
	size_t i;

	if (!w) {
		for (i = 0; i < n; i++)
			if (out[i].offset != out[i].entry)
				back_to_entry(c, &out[i], "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		const struct code_seg *s = seg_at(c, out[i].entry);

		/* An empty window (lo > hi) matches nothing. */
		w[i].lo = 1;
		if (!s || out[i].offset == out[i].entry)
			continue;
		w[i].lo = offset_to_vaddr(s, out[i].entry) + 1;
		w[i].hi = offset_to_vaddr(s, out[i].offset);
		any = true;
	}
	for (i = 0; any && i < c->n_segs; i++)
		scan_rel32(&c->segs[i], w, n);
	for (i = 0; any && i < n; i++)
		if (out[i].offset != out[i].entry)
			scan_function(c, out[i].entry, w, n);
	for (i = 0; i < n; i++)
		if (w[i].hit)
			back_to_entry(c, &out[i], "a jump lands before it");
	free(w);
	return 0;
}

int probe_placements(const char *path, const uint64_t *offsets,
		     const int *nargs, size_t n, struct placement *out)
{
	unsigned int kver = placement_kernel();
	struct elf_code c;
	size_t i;
	int err;

	for (i = 0; i < n; i++)
		start_at_entry(&out[i], offsets[i]);
	err = open_code(path, &c);
	if (err)
		return err;
	for (i = 0; i < n; i++)
		place_one(&c, offsets[i], nargs[i], kver, &out[i]);
	err = check_jumps(&c, out, n);
	close_code(&c);
	return err;
}

int probe_placement(const char *path, uint64_t func_offset, int nargs,
		    struct placement *out)
{
	return probe_placements(path, &func_offset, &nargs, 1, out);
}

void placement_describe(const struct placement *p, char *buf, size_t len)
{
	int mn = (int)strcspn(p->insn, " ");

	if (!p->insn[0])
		snprintf(buf, len, "%s", p->reason);
	else if (p->offset == p->entry)
		snprintf(buf, len, "%.*s, %s; at entry: %s", mn, p->insn,
			 p->emulated ? "emulated" : "single-stepped",
			 p->reason);
	else
		snprintf(buf, len, "%.*s, emulated; %llu bytes in: %s", mn,
			 p->insn, (unsigned long long)(p->offset - p->entry),
			 p->reason);
}
