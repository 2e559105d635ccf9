/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Unit tests for user/placement.c: hand-made entries, the kernel table,
 * jumps into a skipped prefix (functions of this very binary) and libc's
 * own allocator.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <capstone/capstone.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "sym/elfsym.h"
#include "kernel/placement.h"

#define K4_14 PLACEMENT_KV(4, 14)
#define K4_15 PLACEMENT_KV(4, 15)
#define K6_1  PLACEMENT_KV(6, 1)
#define K6_2  PLACEMENT_KV(6, 2)
#define K6_15 PLACEMENT_KV(6, 15)
#define K6_16 PLACEMENT_KV(6, 16)
#define K6_18 PLACEMENT_KV(6, 18)

#define ENTRY 0x1000

static struct placement choose(const uint8_t *code, size_t len, int nargs,
			       unsigned int kver)
{
	struct placement p;

	assert_int_equal(placement_choose(code, len, ENTRY, nargs, kver, &p),
			 0);
	assert_int_equal(p.entry, ENTRY);
	return p;
}

#define CHOOSE(code, nargs, kver) choose(code, sizeof(code), nargs, kver)

static void assert_at(const struct placement *p, uint64_t off, bool emulated,
		      const char *insn, const char *reason)
{
	if (p->offset != ENTRY + off || p->emulated != emulated ||
	    strcmp(p->insn, insn) || !strstr(p->reason, reason))
		fail_msg(
			"got +0x%llx %s \"%s\" \"%s\", want +0x%llx %s \"%s\" \"...%s...\"",
			(unsigned long long)(p->offset - ENTRY),
			p->emulated ? "emulated" : "stepped", p->insn,
			p->reason, (unsigned long long)off,
			emulated ? "emulated" : "stepped", insn, reason);
}

/* ---- hand-made entries ---------------------------------------------- */

static void test_endbr_test_je(void **state)
{
	/* endbr64; test rdi, rdi; je +5 */
	static const uint8_t code[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x48,
					0x85, 0xff, 0x74, 0x05, 0xc3 };
	struct placement p = CHOOSE(code, 1, K6_18);

	assert_at(&p, 7, true, "je 0x100e",
		  "endbr64 single-stepped; test leaves args; je emulated");
}

static void test_push_first(void **state)
{
	/* push rbp; mov rbp, rsp; ... */
	static const uint8_t code[] = { 0x55, 0x48, 0x89, 0xe5, 0x74, 0x00 };
	struct placement p = CHOOSE(code, 3, K6_18);

	assert_at(&p, 0, true, "push rbp", "push emulated");
	/* Before 4.15 the push is single-stepped, and it moves rsp. */
	p = CHOOSE(code, 3, K4_14);
	assert_at(&p, 0, false, "push rbp", "push writes rsp");
}

static void test_push_r12(void **state)
{
	static const uint8_t code[] = { 0x41, 0x54, 0xc3 };
	/* REX.W push is not what the kernel emulates. */
	static const uint8_t wide[] = { 0x48, 0x50 };

	assert_true(placement_emulated(code, 2, K4_15));
	assert_false(placement_emulated(code, 2, K4_14));
	assert_false(placement_emulated(wide, 2, K6_18));
}

static void test_mov_to_rdi_before_jcc(void **state)
{
	/* mov rdi, rsi; je +0 */
	static const uint8_t code[] = { 0x48, 0x89, 0xf7, 0x74, 0x00 };
	struct placement p = CHOOSE(code, 1, K6_18);

	assert_at(&p, 0, false, "mov rdi, rsi", "mov writes rdi");
}

static void test_sub_register_writes(void **state)
{
	/* xor edi, edi; je +0 */
	static const uint8_t xor_edi[] = { 0x31, 0xff, 0x74, 0x00 };
	/* mov dil, 1; je +0 */
	static const uint8_t mov_dil[] = { 0x40, 0xb7, 0x01, 0x74, 0x00 };
	struct placement p = CHOOSE(xor_edi, 1, K6_18);

	assert_at(&p, 0, false, "xor edi, edi", "xor writes rdi");
	p = CHOOSE(mov_dil, 1, K6_18);
	assert_at(&p, 0, false, "mov dil, 1", "mov writes rdi");
}

static void test_args_counted(void **state)
{
	/* mov rdx, rax; je +0: fine for one argument, not for three. */
	static const uint8_t code[] = { 0x48, 0x89, 0xc2, 0x74, 0x00 };
	struct placement p = CHOOSE(code, 1, K6_18);

	assert_at(&p, 3, true, "je 0x1005", "mov single-stepped; je emulated");
	p = CHOOSE(code, 2, K6_18);
	assert_int_equal(p.offset, ENTRY + 3);
	p = CHOOSE(code, 3, K6_18);
	assert_at(&p, 0, false, "mov rdx, rax", "mov writes rdx");
}

static void test_sub_rsp(void **state)
{
	/* sub rsp, 8; je +0 */
	static const uint8_t code[] = { 0x48, 0x83, 0xec, 0x08, 0x74, 0x00 };
	struct placement p = CHOOSE(code, 0, K6_18);

	assert_at(&p, 0, false, "sub rsp, 8", "sub writes rsp");
}

static void test_frame_pointer_kept(void **state)
{
	/* mov rbp, rdi; je +0: the probe walks frames from rbp */
	static const uint8_t code[] = { 0x48, 0x89, 0xfd, 0x74, 0x00 };
	struct placement p = CHOOSE(code, 1, K6_18);

	assert_at(&p, 0, false, "mov rbp, rdi", "mov writes rbp");
}

static void test_memory_write(void **state)
{
	/* mov [rsp - 8], rdi; je +0 */
	static const uint8_t code[] = {
		0x48, 0x89, 0x7c, 0x24, 0xf8, 0x74, 0x00
	};
	struct placement p = CHOOSE(code, 1, K6_18);

	assert_at(&p, 0, false, "mov qword ptr [rsp - 8], rdi",
		  "mov writes memory");
}

static void test_unknown_effects(void **state)
{
	/* mul rdx writes rax and rdx; cpuid writes rdx */
	static const uint8_t mul[] = { 0x48, 0xf7, 0xe2, 0x74, 0x00 };
	static const uint8_t cpuid[] = { 0x0f, 0xa2, 0x74, 0x00 };
	struct placement p = CHOOSE(mul, 1, K6_18);

	assert_at(&p, 0, false, "mul rdx", "mul not known to be harmless");
	p = CHOOSE(cpuid, 1, K6_18);
	assert_int_equal(p.offset, ENTRY);
}

static void test_starts_with_jmp(void **state)
{
	static const uint8_t rel32[] = { 0xe9, 0x10, 0x00, 0x00, 0x00 };
	/* jmp rax is single-stepped, and nothing is known after it */
	static const uint8_t indirect[] = { 0xff, 0xe0, 0x74, 0x00 };
	struct placement p = CHOOSE(rel32, 1, K6_18);

	assert_at(&p, 0, true, "jmp 0x1015", "jmp emulated");
	p = CHOOSE(indirect, 1, K6_18);
	assert_at(&p, 0, false, "jmp rax", "jmp not known to be harmless");
}

static void test_call_and_ret(void **state)
{
	/* test rdi, rdi; call +0 */
	static const uint8_t call[] = { 0x48, 0x85, 0xff, 0xe8, 0, 0, 0, 0 };
	/* test rdi, rdi; ret */
	static const uint8_t ret[] = { 0x48, 0x85, 0xff, 0xc3, 0x74, 0x00 };
	struct placement p = CHOOSE(call, 1, K6_18);

	assert_at(&p, 3, true, "call 0x1008", "call emulated");
	p = CHOOSE(ret, 1, K6_18);
	assert_at(&p, 0, false, "test rdi, rdi", "ret writes rsp");
}

static void test_nops_by_release(void **state)
{
	/* nopl 0(rax, rax); je +0 */
	static const uint8_t nopl[] = { 0x0f, 0x1f, 0x44, 0, 0, 0x74, 0x00 };
	/* xchg ax, ax; je +0 */
	static const uint8_t osp[] = { 0x66, 0x90, 0x74, 0x00 };
	struct placement p = CHOOSE(nopl, 1, K6_16);

	assert_at(&p, 0, true, "nop dword ptr [rax + rax]", "nop emulated");
	p = CHOOSE(nopl, 1, K6_15);
	assert_at(&p, 5, true, "je 0x1007", "nop single-stepped; je emulated");
	p = CHOOSE(osp, 1, K6_2);
	assert_at(&p, 0, true, "nop", "nop emulated");
	p = CHOOSE(osp, 1, K6_1);
	assert_int_equal(p.offset, ENTRY + 2);
}

static void test_prefixed_branches(void **state)
{
	/* ds je (hint): the kernel refuses the probe */
	static const uint8_t ds_je[] = { 0x3e, 0x74, 0x00 };
	/* bnd jmp */
	static const uint8_t bnd_jmp[] = { 0xf2, 0xe9, 0, 0, 0, 0 };
	/* 16-bit call */
	static const uint8_t callw[] = { 0x66, 0xe8, 0, 0 };
	/* cs nopw: the kernel refuses the probe */
	static const uint8_t cs_nopw[] = { 0x66, 0x2e, 0x0f, 0x1f, 0x84,
					   0,	 0,    0,    0,	   0 };

	assert_false(placement_emulated(ds_je, sizeof(ds_je), K6_18));
	assert_false(placement_emulated(bnd_jmp, sizeof(bnd_jmp), K6_18));
	assert_false(placement_emulated(callw, sizeof(callw), K6_18));
	assert_false(placement_emulated(cs_nopw, sizeof(cs_nopw), K6_18));
}

static void test_nothing_emulated(void **state)
{
	uint8_t code[PLACEMENT_MAX_PREFIX + 8];
	struct placement p;
	size_t i;

	/* test rdi, rdi, over and over, then je */
	for (i = 0; i + 3 <= sizeof(code); i += 3)
		memcpy(code + i, "\x48\x85\xff", 3);
	code[sizeof(code) - 2] = 0x74;
	code[sizeof(code) - 1] = 0x00;
	p = CHOOSE(code, 1, K6_18);
	assert_at(&p, 0, false, "test rdi, rdi",
		  "nothing emulated in 64 bytes");
}

static void test_undecodable(void **state)
{
	static const uint8_t code[] = { 0x06, 0x74, 0x00 }; /* push es */
	struct placement p = CHOOSE(code, 1, K6_18);

	assert_at(&p, 0, false, "(bad)", "cannot decode the entry");
}

/* ---- jumps into the prefix, in functions of this binary -------------- */

/*
 * lt_loop_fn loops back to its second instruction, lt_far_target is the
 * target of a rel32 jump from lt_far_source: both must stay at their
 * entry. lt_plain_fn is the same code without any jump back.
 */
__asm__(".text\n"
	".globl lt_loop_fn\n.type lt_loop_fn, @function\n"
	"lt_loop_fn:\n"
	"	test %rdi, %rdi\n"
	"1:	cmp $5, %rax\n"
	"	jne 2f\n"
	"	ret\n"
	"2:	add $1, %rax\n"
	"	jmp 1b\n"
	".size lt_loop_fn, .-lt_loop_fn\n"
	".globl lt_plain_fn\n.type lt_plain_fn, @function\n"
	"lt_plain_fn:\n"
	"	test %rdi, %rdi\n"
	"	cmp $5, %rax\n"
	"	jne 3f\n"
	"3:	ret\n"
	".size lt_plain_fn, .-lt_plain_fn\n"
	".globl lt_far_target\n.type lt_far_target, @function\n"
	"lt_far_target:\n"
	"	test %rdi, %rdi\n"
	"	cmp $5, %rax\n"
	"	jne 4f\n"
	"4:	ret\n"
	".size lt_far_target, .-lt_far_target\n"
	".p2align 8\n"
	".globl lt_far_source\n.type lt_far_source, @function\n"
	"lt_far_source:\n"
	"	.byte 0xe9\n"
	"	.long lt_far_target + 3 - . - 4\n"
	".size lt_far_source, .-lt_far_source\n");

static struct placement place_own(const char *name)
{
	const char *names[1] = { name };
	char path[PATH_MAX];
	struct placement p;
	uint64_t offset;
	ssize_t n;

	n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	assert_true(n > 0);
	path[n] = '\0';
	assert_int_equal(elf_function_offsets(path, names, 1, &offset), 0);
	assert_true(offset != 0);
	assert_int_equal(probe_placement(path, offset, 1, &p), 0);
	assert_int_equal(p.entry, offset);
	return p;
}

static void test_jump_back_into_prefix(void **state)
{
	struct placement loop = place_own("lt_loop_fn");
	struct placement plain = place_own("lt_plain_fn");

	assert_int_equal(plain.offset, plain.entry + 7);
	assert_true(plain.emulated);
	assert_int_equal(loop.offset, loop.entry);
	assert_non_null(strstr(loop.reason, "a jump lands before it"));
}

static void test_far_jump_into_prefix(void **state)
{
	struct placement p = place_own("lt_far_target");

	assert_int_equal(p.offset, p.entry);
	assert_non_null(strstr(p.reason, "a jump lands before it"));
	assert_string_equal(p.insn, "test rdi, rdi");
}

/* ---- libc's allocator ------------------------------------------------ */

#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"

/* Decode [entry, offset) again: nothing there may touch rsp. */
static void assert_sp_unchanged(const uint8_t *code, size_t len)
{
	uint64_t addr = 0;
	cs_insn *in;
	csh h;

	assert_int_equal(cs_open(CS_ARCH_X86, CS_MODE_64, &h), CS_ERR_OK);
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(h);
	while (len && cs_disasm_iter(h, &code, &len, &addr, in)) {
		cs_regs rd, wr;
		uint8_t nrd, nwr, i;

		assert_int_equal(cs_regs_access(h, in, rd, &nrd, wr, &nwr),
				 CS_ERR_OK);
		for (i = 0; i < nwr; i++)
			if (wr[i] == X86_REG_RSP || wr[i] == X86_REG_ESP)
				fail_msg("%s %s moves rsp", in->mnemonic,
					 in->op_str);
	}
	assert_int_equal(len, 0);
	cs_free(in, 1);
	cs_close(&h);
}

static void test_libc_allocator(void **state)
{
	static const char *const names[] = { "malloc", "free", "calloc",
					     "realloc" };
	static const int nargs[] = { 1, 1, 2, 2 };
	uint64_t offsets[4];
	size_t i;

	if (access(LIBC, R_OK))
		skip();
	assert_int_equal(elf_function_offsets(LIBC, names, 4, offsets), 0);
	for (i = 0; i < 4; i++) {
		uint8_t code[PLACEMENT_MAX_PREFIX];
		struct placement p;
		FILE *f;

		assert_true(offsets[i] != 0);
		assert_int_equal(
			probe_placement(LIBC, offsets[i], nargs[i], &p), 0);
		assert_int_equal(p.entry, offsets[i]);
		assert_true(p.offset - p.entry < PLACEMENT_MAX_PREFIX);
		assert_true(p.offset == p.entry || p.emulated);
		assert_true(p.reason[0] != '\0');
		f = fopen(LIBC, "rb");
		assert_non_null(f);
		assert_int_equal(fseek(f, (long)p.entry, SEEK_SET), 0);
		assert_int_equal(fread(code, 1, sizeof(code), f), sizeof(code));
		fclose(f);
		assert_sp_unchanged(code, p.offset - p.entry);
	}
}

static void test_not_an_elf(void **state)
{
	struct placement p;

	assert_true(probe_placement("/proc/self/status", 0x10, 1, &p) < 0);
	assert_int_equal(p.offset, 0x10);
	assert_int_equal(probe_placement("/nonexistent", 0x10, 1, &p), -2);
	assert_int_equal(p.offset, 0x10);
}

static void test_kernel_version(void **state)
{
	unsigned int k = placement_kernel();

	/* leaktrace needs 5.8: everything but the new nops is there. */
	assert_true(k >= PLACEMENT_KV(5, 8));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endbr_test_je),
		cmocka_unit_test(test_push_first),
		cmocka_unit_test(test_push_r12),
		cmocka_unit_test(test_mov_to_rdi_before_jcc),
		cmocka_unit_test(test_sub_register_writes),
		cmocka_unit_test(test_args_counted),
		cmocka_unit_test(test_sub_rsp),
		cmocka_unit_test(test_frame_pointer_kept),
		cmocka_unit_test(test_memory_write),
		cmocka_unit_test(test_unknown_effects),
		cmocka_unit_test(test_starts_with_jmp),
		cmocka_unit_test(test_call_and_ret),
		cmocka_unit_test(test_nops_by_release),
		cmocka_unit_test(test_prefixed_branches),
		cmocka_unit_test(test_nothing_emulated),
		cmocka_unit_test(test_undecodable),
		cmocka_unit_test(test_jump_back_into_prefix),
		cmocka_unit_test(test_far_jump_into_prefix),
		cmocka_unit_test(test_libc_allocator),
		cmocka_unit_test(test_not_an_elf),
		cmocka_unit_test(test_kernel_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
