/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * x86-64 specifics of user space, for probe placement (kernel/placement.c,
 * its only user): capstone's mode, which instructions the kernel's uprobes
 * emulate by release, the registers a probe reads (arguments in rdi, rsi,
 * rdx; rsp; rbp) and which instructions leave them alone, and how direct
 * branches are encoded. Another architecture gets its own
 * kernel/arch_<ARCH>.h, chosen by kernel/arch.h from the Makefile's ARCH.
 */
#ifndef LT_ARCH_X86_H
#define LT_ARCH_X86_H

#include <capstone/capstone.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "kernel/placement.h"

#define ARCH_NAME	 "x86-64"
#define ARCH_ELF_CLASS	 ELFCLASS64
#define ARCH_ELF_MACHINE EM_X86_64
#define ARCH_CS_ARCH	 CS_ARCH_X86
#define ARCH_CS_MODE	 CS_MODE_64

/* Debian's multiarch directory, where libc is when no process says. */
#define ARCH_MULTIARCH "x86_64-linux-gnu"

enum emu_kind {
	EMU_NONE,
	EMU_BRANCH,  /* jmp rel8/rel32, jcc rel8/rel32, call rel32 */
	EMU_NOP,     /* 90 */
	EMU_PUSH,    /* push of a 64-bit register */
	EMU_NOP_OSP, /* 66 90 */
	EMU_NOPL,    /* the long nops, 0f 1f /0 */
	EMU_NR,
};

/*
 * First release of arch/x86/kernel/uprobes.c emulating each kind:
 *   3.15  relative jmp, jcc and call (branch_xol_ops), and 90
 *   4.15  push of rax..rdi, and of r8..r15 with the lone 41 prefix
 *   6.2   66 90 (before, branch_setup_xol_ops refused the 66 prefix)
 *   6.16  every nop of the kernel's own table x86_nops[1..8]
 * Other prefixes are never chosen: 66 on a branch is refused, CS/DS/ES/SS
 * and lock make the probe fail, and the rest is single-stepped.
 */
static const unsigned int emu_since[EMU_NR] = {
	[EMU_NONE] = ~0u,
	[EMU_BRANCH] = PLACEMENT_KV(3, 15),
	[EMU_NOP] = PLACEMENT_KV(3, 15),
	[EMU_PUSH] = PLACEMENT_KV(4, 15),
	[EMU_NOP_OSP] = PLACEMENT_KV(6, 2),
	[EMU_NOPL] = PLACEMENT_KV(6, 16),
};

/* The multi-byte nops Intel's manual recommends, 3 to 8 bytes long. */
static const uint8_t long_nops[6][8] = {
	{ 0x0f, 0x1f, 0x00 },
	{ 0x0f, 0x1f, 0x40, 0x00 },
	{ 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	{ 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	{ 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
	{ 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
};

static inline bool between(uint8_t b, uint8_t lo, uint8_t hi)
{
	return b >= lo && b <= hi;
}

static inline enum emu_kind emu_kind(const uint8_t *b, size_t len)
{
	switch (len) {
	case 1:
		if (b[0] == 0x90)
			return EMU_NOP;
		if (between(b[0], 0x50, 0x57))
			return EMU_PUSH;
		break;
	case 2:
		if (between(b[0], 0x70, 0x7f) || b[0] == 0xeb)
			return EMU_BRANCH;
		if (b[0] == 0x41 && between(b[1], 0x50, 0x57))
			return EMU_PUSH;
		if (b[0] == 0x66 && b[1] == 0x90)
			return EMU_NOP_OSP;
		break;
	case 5:
		if (b[0] == 0xe8 || b[0] == 0xe9)
			return EMU_BRANCH;
		break;
	case 6:
		if (b[0] == 0x0f && between(b[1], 0x80, 0x8f))
			return EMU_BRANCH;
		break;
	}
	if (len >= 3 && len <= 8 && !memcmp(b, long_nops[len - 3], len))
		return EMU_NOPL;
	return EMU_NONE;
}

/* The first kernel release (PLACEMENT_KV) emulating this instruction. */
static inline unsigned int arch_emulated_since(const uint8_t *insn, size_t len)
{
	return emu_since[emu_kind(insn, len)];
}

/* Registers the probe reads, as bits of this enum. */
enum watched { W_RDI, W_RSI, W_RDX, W_RSP, W_RBP, W_NONE };

static const char *const watched_names[W_NONE] = { "rdi", "rsi", "rdx", "rsp",
						   "rbp" };

static inline enum watched watched_reg(unsigned int reg)
{
	switch (reg) {
	case X86_REG_RDI:
	case X86_REG_EDI:
	case X86_REG_DI:
	case X86_REG_DIL:
		return W_RDI;
	case X86_REG_RSI:
	case X86_REG_ESI:
	case X86_REG_SI:
	case X86_REG_SIL:
		return W_RSI;
	case X86_REG_RDX:
	case X86_REG_EDX:
	case X86_REG_DX:
	case X86_REG_DL:
	case X86_REG_DH:
		return W_RDX;
	case X86_REG_RSP:
	case X86_REG_ESP:
	case X86_REG_SP:
	case X86_REG_SPL:
		return W_RSP;
	case X86_REG_RBP:
	case X86_REG_EBP:
	case X86_REG_BP:
	case X86_REG_BPL:
		return W_RBP;
	default:
		return W_NONE;
	}
}

/* The argument registers (rdi, rsi, rdx), the stack and frame pointers. */
static inline unsigned int arch_watched_mask(int nargs)
{
	unsigned int mask = 1u << W_RSP | 1u << W_RBP;
	int i;

	for (i = 0; i < nargs && i < 3; i++)
		mask |= 1u << (W_RDI + i);
	return mask;
}

static inline bool is_segment(unsigned int reg)
{
	return reg == X86_REG_CS || reg == X86_REG_DS || reg == X86_REG_ES ||
	       reg == X86_REG_FS || reg == X86_REG_GS || reg == X86_REG_SS;
}

/* Instructions that only read registers and memory, and set flags. */
static inline bool writes_nothing(unsigned int id)
{
	switch (id) {
	case X86_INS_ENDBR64:
	case X86_INS_NOP:
	case X86_INS_TEST:
	case X86_INS_CMP:
	case X86_INS_BT:
		return true;
	default:
		return false;
	}
}

/* Instructions whose only other effect is writing their first operand. */
static inline bool writes_first_operand(unsigned int id)
{
	switch (id) {
	case X86_INS_MOV:
	case X86_INS_MOVABS:
	case X86_INS_MOVZX:
	case X86_INS_MOVSX:
	case X86_INS_MOVSXD:
	case X86_INS_LEA:
	case X86_INS_ADD:
	case X86_INS_SUB:
	case X86_INS_AND:
	case X86_INS_OR:
	case X86_INS_XOR:
	case X86_INS_NEG:
	case X86_INS_NOT:
	case X86_INS_INC:
	case X86_INS_DEC:
	case X86_INS_SHL:
	case X86_INS_SHR:
	case X86_INS_SAR:
		return true;
	default:
		return false;
	}
}

/* A watched register the disassembler says the instruction writes. */
static inline enum watched written_reg(csh h, const cs_insn *in,
				       unsigned int mask)
{
	cs_regs rd, wr;
	uint8_t nrd, nwr, i;

	if (cs_regs_access(h, in, rd, &nrd, wr, &nwr) != CS_ERR_OK)
		return W_RSP; /* unknown: assume the worst */
	for (i = 0; i < nwr; i++) {
		enum watched w = watched_reg(wr[i]);

		if (w != W_NONE && (mask & 1u << w))
			return w;
	}
	return W_NONE;
}

/*
 * May the probe go after this instruction? Only if its effects are known
 * and leave the watched registers and memory alone. Else why says why not.
 */
static inline bool arch_harmless(csh h, const cs_insn *in, unsigned int mask,
				 char *why, size_t len)
{
	const cs_x86 *x = &in->detail->x86;
	const cs_x86_op *dst = &x->operands[0];
	enum watched w = written_reg(h, in, mask);

	/* The destination too, in case the disassembler leaves it out. */
	if (w == W_NONE && writes_first_operand(in->id) && x->op_count &&
	    dst->type == X86_OP_REG)
		w = watched_reg(dst->reg);
	if (w != W_NONE && (mask & 1u << w)) {
		snprintf(why, len, "writes %s", watched_names[w]);
		return false;
	}
	if (writes_nothing(in->id))
		return true;
	if (!writes_first_operand(in->id) || !x->op_count ||
	    (dst->type == X86_OP_REG && is_segment(dst->reg))) {
		snprintf(why, len, "not known to be harmless");
		return false;
	}
	if (dst->type != X86_OP_REG) {
		snprintf(why, len, "writes memory");
		return false;
	}
	return true;
}

static inline int32_t rel32_at(const uint8_t *p)
{
	uint32_t v = p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;

	return (int32_t)v;
}

/*
 * A relative call, jmp or jcc rel32 encoded at p (avail bytes there, at
 * address next): its target.
 */
static inline bool arch_rel_branch_at(const uint8_t *p, size_t avail,
				      uint64_t next, uint64_t *target)
{
	if (avail >= 5 && (p[0] == 0xe8 || p[0] == 0xe9)) {
		*target = next + 5 + rel32_at(p + 1);
		return true;
	}
	if (avail >= 6 && p[0] == 0x0f && between(p[1], 0x80, 0x8f)) {
		*target = next + 6 + rel32_at(p + 2);
		return true;
	}
	return false;
}

/* A jump or call to an immediate address: its target. */
static inline bool arch_direct_branch(csh h, const cs_insn *in,
				      uint64_t *target)
{
	const cs_x86 *x = &in->detail->x86;

	if (!(cs_insn_group(h, in, X86_GRP_JUMP) ||
	      cs_insn_group(h, in, X86_GRP_CALL) ||
	      cs_insn_group(h, in, X86_GRP_BRANCH_RELATIVE)) ||
	    x->op_count != 1 || x->operands[0].type != X86_OP_IMM)
		return false;
	*target = x->operands[0].imm;
	return true;
}

#endif
