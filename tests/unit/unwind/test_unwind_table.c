/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Unit tests for user/unwind/unwind_table.c: the rule classification on
 * hand-made libdw ops, and every row readelf --debug-dump=frames-interp
 * prints for real files (libc, libstdc++, this -O2 test binary, a fixture
 * whose CFI is only in .debug_frame) against the table's row at that pc,
 * and the rows that replace Go's at its runtime's stack switches.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dwarf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unwind/unwind_table.h"

#define LIBC	  "/lib/x86_64-linux-gnu/libc.so.6"
#define LIBSTDCXX "/lib/x86_64-linux-gnu/libstdc++.so.6"
#define FIXTURE	  "tests/unit/bin/unwind_fixture_debug_frame.so"
#define GO_FIX	  "tests/unit/bin/unwind_fixture_go.so"

static const Dwarf_Op ra_at_cfa_8[] = {
	{ .atom = DW_OP_call_frame_cfa },
	{ .atom = DW_OP_plus_uconst, .number = (Dwarf_Word)-8 },
};

static struct lt_unwind_row classify(const Dwarf_Op *cfa, size_t n_cfa,
				     const Dwarf_Op *rbp, size_t n_rbp)
{
	struct lt_unwind_row r = { 0 };

	unwind_classify(cfa, n_cfa, rbp, n_rbp, false, ra_at_cfa_8, 2, false,
			false, &r);
	return r;
}

static void test_classify_rsp_rbp(void **state)
{
	Dwarf_Op bregx = { .atom = DW_OP_bregx, .number = 7, .number2 = 24 };
	Dwarf_Op breg6 = { .atom = DW_OP_breg6, .number = 16 };
	Dwarf_Op rbp_saved[] = {
		{ .atom = DW_OP_call_frame_cfa },
		{ .atom = DW_OP_plus_uconst, .number = (Dwarf_Word)-16 },
	};
	struct lt_unwind_row r = classify(&bregx, 1, NULL, 0);

	assert_int_equal(r.cfa_type, LT_CFA_RSP);
	assert_int_equal(r.cfa_off, 24);
	assert_int_equal(r.rbp_type, LT_RBP_SAME);
	r = classify(&breg6, 1, rbp_saved, 2);
	assert_int_equal(r.cfa_type, LT_CFA_RBP);
	assert_int_equal(r.cfa_off, 16);
	assert_int_equal(r.rbp_type, LT_RBP_AT_CFA);
	assert_int_equal(r.rbp_off, -16);
}

static void test_classify_plt(void **state)
{
	Dwarf_Op plt[] = {
		{ .atom = DW_OP_breg7, .number = 8 },
		{ .atom = DW_OP_breg16, .number = 0 },
		{ .atom = DW_OP_lit15 },
		{ .atom = DW_OP_and },
		{ .atom = DW_OP_lit11 },
		{ .atom = DW_OP_ge },
		{ .atom = DW_OP_lit3 },
		{ .atom = DW_OP_shl },
		{ .atom = DW_OP_plus },
	};
	struct lt_unwind_row r = classify(plt, 9, NULL, 0);

	assert_int_equal(r.cfa_type, LT_CFA_PLT);
	assert_int_equal(r.cfa_off, 8);
	assert_int_equal(r.rbp_off, 11);
	plt[7].atom = DW_OP_shr; /* any other expression stops the walk */
	r = classify(plt, 9, NULL, 0);
	assert_int_equal(r.cfa_type, LT_CFA_INVALID);
}

static void test_classify_stops(void **state)
{
	Dwarf_Op r10 = { .atom = DW_OP_breg10, .number = 0 };
	Dwarf_Op rsp = { .atom = DW_OP_breg7, .number = 8 };
	Dwarf_Op ra16[] = {
		{ .atom = DW_OP_call_frame_cfa },
		{ .atom = DW_OP_plus_uconst, .number = (Dwarf_Word)-16 },
	};
	Dwarf_Op mem[3];
	struct lt_unwind_row r = classify(&r10, 1, NULL, 0);

	assert_int_equal(r.cfa_type, LT_CFA_INVALID); /* realigned stack */
	unwind_classify(&rsp, 1, NULL, 0, false, ra16, 2, false, false, &r);
	assert_int_equal(r.cfa_type, LT_CFA_INVALID);
	unwind_classify(&rsp, 1, NULL, 0, false, mem, 0, true, false, &r);
	assert_int_equal(r.cfa_type, LT_CFA_END);
	unwind_classify(&rsp, 1, NULL, 0, false, ra_at_cfa_8, 2, false, true,
			&r);
	assert_int_equal(r.cfa_type, LT_CFA_SIGNAL);
	unwind_classify(&rsp, 1, mem, 0, true, ra_at_cfa_8, 2, false, false,
			&r);
	assert_int_equal(r.cfa_type, LT_CFA_RSP);
	assert_int_equal(r.rbp_type, LT_RBP_UNKNOWN);
}

/* ---- against readelf ----------------------------------------------- */

struct oracle {
	int rbp_col, ra_col; /* token index in a row line, -1: absent */
	size_t rows, mismatches;
	bool in_section;
	bool in_fde; /* CIE tables are initial states, not rows */
};

/* The rule readelf prints, as the row we expect. */
static bool expected_row(const char *cfa, const char *rbp, const char *ra,
			 struct lt_unwind_row *r, bool *any_expr)
{
	int off;

	memset(r, 0, sizeof(*r));
	*any_expr = false;
	if (!strcmp(ra, "u")) {
		r->cfa_type = LT_CFA_END;
		return true;
	}
	if (!strcmp(cfa, "exp")) {
		*any_expr = true; /* PLT, signal or invalid */
		return true;
	}
	if (strcmp(ra, "c-8"))
		r->cfa_type = LT_CFA_INVALID;
	else if (sscanf(cfa, "rsp+%d", &off) == 1)
		r->cfa_type = LT_CFA_RSP;
	else if (sscanf(cfa, "rbp+%d", &off) == 1)
		r->cfa_type = LT_CFA_RBP;
	else
		r->cfa_type = LT_CFA_INVALID;
	if (r->cfa_type == LT_CFA_INVALID)
		return true;
	r->cfa_off = off;
	if (!rbp || !strcmp(rbp, "u") || !strcmp(rbp, "s"))
		r->rbp_type = LT_RBP_SAME;
	else if (sscanf(rbp, "c%d", &off) == 1) {
		r->rbp_type = LT_RBP_AT_CFA;
		r->rbp_off = off;
	} else
		r->rbp_type = LT_RBP_UNKNOWN;
	return true;
}

static void check_line(const struct unwind_table *t, struct oracle *o,
		       char *line)
{
	char *tok[64], *save = NULL;
	const struct lt_unwind_row *got;
	struct lt_unwind_row want;
	unsigned long long loc;
	bool any_expr;
	int n = 0;

	if (strstr(line, " FDE ") || strstr(line, " CIE ")) {
		o->in_fde = strstr(line, " FDE ") != NULL;
		o->ra_col = -1;
		return;
	}
	if (!o->in_fde)
		return;
	/* "r10 (r10)" is one column: a "(...)" token belongs to the last. */
	for (char *s = strtok_r(line, " \n", &save); s && n < 64;
	     s = strtok_r(NULL, " \n", &save))
		if (s[0] != '(' || !n)
			tok[n++] = s;

	if (n >= 2 && !strcmp(tok[0], "LOC")) {
		o->rbp_col = o->ra_col = -1;
		for (int i = 1; i < n; i++) {
			if (!strcmp(tok[i], "rbp"))
				o->rbp_col = i;
			if (!strcmp(tok[i], "ra"))
				o->ra_col = i;
		}
		return;
	}
	if (n < 3 || strlen(tok[0]) != 16 ||
	    sscanf(tok[0], "%llx", &loc) != 1 || o->ra_col < 0 ||
	    o->ra_col >= n)
		return;
	expected_row(tok[1], o->rbp_col >= 0 ? tok[o->rbp_col] : NULL,
		     tok[o->ra_col], &want, &any_expr);
	got = unwind_table_find(t, loc);
	o->rows++;
	if (got && (any_expr ? got->cfa_type == LT_CFA_PLT ||
				       got->cfa_type == LT_CFA_SIGNAL ||
				       got->cfa_type == LT_CFA_INVALID
			     : got->cfa_type == want.cfa_type &&
				       (want.cfa_type == LT_CFA_INVALID ||
					want.cfa_type == LT_CFA_END ||
					(got->cfa_off == want.cfa_off &&
					 got->rbp_type == want.rbp_type &&
					 got->rbp_off == want.rbp_off))))
		return;
	if (o->mismatches++ < 5)
		print_message(
			"%#llx: readelf cfa %s ra %s, table %s%+d rbp %d%+d\n",
			loc, tok[1], tok[o->ra_col],
			got ? unwind_cfa_name(got->cfa_type) : "(none)",
			got ? got->cfa_off : 0, got ? got->rbp_type : 0,
			got ? got->rbp_off : 0);
}

/* Compare every row of section ("eh_frame" or "debug_frame") of path. */
static void check_against_readelf(const char *path, const char *section,
				  size_t min_rows)
{
	struct oracle o = { .rbp_col = -1, .ra_col = -1 };
	struct unwind_table t;
	char cmd[512], line[4096], header[64];
	FILE *p;

	assert_int_equal(unwind_table_build_path(path, &t), 0);
	assert_true(t.n > 0);
	snprintf(header, sizeof(header), "Contents of the .%s section",
		 section);
	snprintf(cmd, sizeof(cmd),
		 "readelf --wide --debug-dump=frames-interp '%s' 2>/dev/null",
		 path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		if (!strncmp(line, "Contents of the ", 16)) {
			o.in_section = !strncmp(line, header, strlen(header));
			continue;
		}
		if (o.in_section)
			check_line(&t, &o, line);
	}
	pclose(p); /* readelf warns about some files' padding */
	print_message("%s: %zu readelf rows, %zu table rows, %zu mismatches\n",
		      path, o.rows, t.n, o.mismatches);
	assert_true(o.rows >= min_rows);
	assert_int_equal(o.mismatches, 0);
	unwind_table_free(&t);
}

static void test_libc_matches_readelf(void **state)
{
	check_against_readelf(LIBC, "eh_frame", 10000);
}

static void test_libstdcxx_matches_readelf(void **state)
{
	check_against_readelf(LIBSTDCXX, "eh_frame", 10000);
}

static void test_self_matches_readelf(void **state)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	assert_true(n > 0);
	self[n] = 0;
	check_against_readelf(self, "eh_frame", 100);
}

static void test_debug_frame_matches_readelf(void **state)
{
	struct unwind_table t;

	check_against_readelf(FIXTURE, "debug_frame", 5);
	/* With frame pointers, the body's CFA is rbp-based. */
	assert_int_equal(unwind_table_build_path(FIXTURE, &t), 0);
	bool rbp_rows = false;
	for (size_t i = 0; i < t.n; i++)
		rbp_rows |= t.rows[i].cfa_type == LT_CFA_RBP;
	assert_true(rbp_rows);
	unwind_table_free(&t);
}

/* libc's sigreturn trampoline and the thread entries end or follow. */
static void test_libc_special_rows(void **state)
{
	struct unwind_table t;
	size_t signal = 0, end = 0, plt = 0;

	assert_int_equal(unwind_table_build_path(LIBC, &t), 0);
	for (size_t i = 0; i < t.n; i++) {
		signal += t.rows[i].cfa_type == LT_CFA_SIGNAL;
		end += t.rows[i].cfa_type == LT_CFA_END;
		plt += t.rows[i].cfa_type == LT_CFA_PLT;
		if (i)
			assert_true(t.rows[i].pc > t.rows[i - 1].pc);
	}
	assert_int_equal(signal, 1); /* __restore_rt */
	assert_true(end >= 2);	     /* clone, clone3 */
	assert_true(plt >= 1);
	assert_true(t.build_id_len == 20);
	unwind_table_free(&t);
}

/* The address of a local symbol of path, from nm; 0 when absent. */
static uint64_t symbol_addr(const char *path, const char *name)
{
	char cmd[512], line[512], sym[256];
	unsigned long long addr, found = 0;
	char type;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "nm '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, "%llx %c %255s", &addr, &type, sym) == 3 &&
		    !strcmp(sym, name))
			found = addr;
	pclose(p);
	return found;
}

static unsigned int rule_at(const struct unwind_table *t, uint64_t pc)
{
	const struct lt_unwind_row *r = unwind_table_find(t, pc);

	assert_non_null(r);
	return r->cfa_type;
}

/*
 * Go's switches: asmcgocall's code (not its ABI wrapper) gets the cgo
 * rule at the last byte of each "call *%rax" and keeps its own after;
 * goexit ends the walk over its whole range, and no more.
 */
static void test_go_switch_rows(void **state)
{
	uint64_t code = symbol_addr(GO_FIX, "runtime.asmcgocall.abi0");
	uint64_t wrapper = symbol_addr(GO_FIX, "runtime.asmcgocall");
	uint64_t goexit = symbol_addr(GO_FIX, "runtime.goexit.abi0");
	struct unwind_table t;
	size_t cgo_rows = 0;

	assert_true(code && wrapper && goexit);
	assert_int_equal(unwind_table_build_path(GO_FIX, &t), 0);
	for (size_t i = 0; i < t.n; i++)
		cgo_rows += t.rows[i].cfa_type == LT_CFA_GO_CGO;
	assert_int_equal(cgo_rows, 2);
	/* mov (3 bytes), call *%rax (2), mov (3), call *%rax (2), ret */
	assert_int_equal(rule_at(&t, code + 3), LT_CFA_RSP);
	assert_int_equal(rule_at(&t, code + 4), LT_CFA_GO_CGO);
	assert_int_equal(rule_at(&t, code + 5), LT_CFA_RSP);
	assert_int_equal(rule_at(&t, code + 9), LT_CFA_GO_CGO);
	assert_int_equal(rule_at(&t, code + 10), LT_CFA_RSP);
	for (uint64_t pc = wrapper; pc < goexit; pc++)
		assert_int_equal(rule_at(&t, pc), LT_CFA_RSP);
	for (uint64_t pc = goexit; pc < goexit + 7; pc++)
		assert_int_equal(rule_at(&t, pc), LT_CFA_END);
	assert_int_equal(rule_at(&t, goexit + 7), LT_CFA_RSP);
	for (size_t i = 1; i < t.n; i++)
		assert_true(t.rows[i].pc > t.rows[i - 1].pc);
	unwind_table_free(&t);
}

static void test_not_elf(void **state)
{
	struct unwind_table t;

	assert_int_equal(unwind_table_build_path("/proc/self/status", &t),
			 -EINVAL);
	assert_int_equal(unwind_table_build_path("/nonexistent", &t), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_rsp_rbp),
		cmocka_unit_test(test_classify_plt),
		cmocka_unit_test(test_classify_stops),
		cmocka_unit_test(test_libc_matches_readelf),
		cmocka_unit_test(test_libstdcxx_matches_readelf),
		cmocka_unit_test(test_self_matches_readelf),
		cmocka_unit_test(test_debug_frame_matches_readelf),
		cmocka_unit_test(test_libc_special_rows),
		cmocka_unit_test(test_go_switch_rows),
		cmocka_unit_test(test_not_elf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
