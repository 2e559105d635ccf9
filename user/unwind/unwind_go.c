// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Go's runtime switches stacks in assembly that its CFI describes as if it
 * did not: every such function has "CFA = rsp + 8". runtime.asmcgocall
 * calls C on the thread's system stack (g0), so from its frame there the
 * CFI reads a return address off the system stack: garbage, or a stale
 * frame of an earlier call. asmcgocall keeps what it needs to return
 * (asm_amd64.s, unchanged from Go 1.5 to 1.19 at least): at sp+48 the
 * goroutine g, at sp+40 the depth of its stack pointer below
 * g->stack.hi (or, with no g, the old stack pointer itself). The kernel
 * follows that at the return address of asmcgocall's CALL AX; Go's own
 * traceback reaches the same frames from the goroutine's syscallsp.
 *
 * The goroutine's outermost frame, runtime.goexit, ends the walk, as it
 * ends Go's traceback; so do the other switches (systemstack, mcall,
 * cgocallback), whose way back depends on the runtime's struct layouts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sym/elffile.h"
#include "unwind/unwind_go.h"

#define GO_MAX_FUNC	  4096 /* bytes of a switch function we scan */
#define GO_CALL_AX_LEN	  2    /* ff d0: call *%rax */
#define GO_MAX_CALL_SITES 4

struct go_func {
	const char *name;
	uint64_t lo, hi;
};

/* The runtime functions whose rows are replaced. */
enum {
	GO_ASMCGOCALL,
	GO_GOEXIT,
	GO_SYSTEMSTACK,
	GO_MCALL,
	GO_CGOCALLBACK,
	GO_NFUNCS
};

static const char *const go_names[GO_NFUNCS] = {
	[GO_ASMCGOCALL] = "runtime.asmcgocall",
	[GO_GOEXIT] = "runtime.goexit",
	[GO_SYSTEMSTACK] = "runtime.systemstack",
	[GO_MCALL] = "runtime.mcall",
	[GO_CGOCALLBACK] = "runtime.cgocallback",
};

/*
 * name's own code: "name.abi0" (Go 1.17+ names assembly so when it also
 * has an ABI wrapper, which is "name"), else "name".
 */
static void match_symbol(const char *sym, const GElf_Sym *s, struct go_func *f,
			 bool *abi0)
{
	size_t n = strlen(f->name);

	if (strncmp(sym, f->name, n))
		return;
	if (!strcmp(sym + n, ".abi0"))
		*abi0 = true;
	else if (sym[n] || *abi0)
		return;
	f->lo = s->st_value;
	f->hi = s->st_value + s->st_size;
}

struct go_search {
	struct go_func *funcs;
	bool abi0[GO_NFUNCS];
};

static int match_runtime_symbol(const GElf_Sym *s, const char *name, void *ctx)
{
	struct go_search *g = ctx;

	if (!s->st_size || GELF_ST_TYPE(s->st_info) != STT_FUNC ||
	    strncmp(name, "runtime.", 8))
		return 0;
	for (int k = 0; k < GO_NFUNCS; k++)
		match_symbol(name, s, &g->funcs[k], &g->abi0[k]);
	return 0;
}

static void find_funcs(Elf *elf, struct go_func *funcs)
{
	struct go_search g = { .funcs = funcs };

	for (int i = 0; i < GO_NFUNCS; i++)
		funcs[i] = (struct go_func){ .name = go_names[i] };
	elffile_each_symbol(elf, match_runtime_symbol, &g);
}

/* The bytes of [lo, hi) in an executable section, or NULL. */
static const uint8_t *code_of(Elf *elf, uint64_t lo, uint64_t hi)
{
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_EXECINSTR) || lo < sh.sh_addr ||
		    hi > sh.sh_addr + sh.sh_size)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf || hi - sh.sh_addr > d->d_size)
			return NULL;
		return (const uint8_t *)d->d_buf + (lo - sh.sh_addr);
	}
	return NULL;
}

/*
 * Give [lo, hi) rule r, and hi the rule it had: rows stay sorted, one
 * pc each.
 */
static int table_override(struct unwind_table *t, uint64_t lo, uint64_t hi,
			  struct lt_unwind_row r)
{
	const struct lt_unwind_row *at_hi = unwind_table_find(t, hi);
	struct lt_unwind_row after, *v;
	size_t n = 0;

	if (!at_hi || lo >= hi || hi > UINT32_MAX)
		return 0; /* not in the table: frame pointers there anyway */
	after = *at_hi;
	after.pc = (uint32_t)hi;
	v = malloc((t->n + 2) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < t->n && t->rows[i].pc < lo; i++)
		v[n++] = t->rows[i];
	r.pc = (uint32_t)lo;
	v[n++] = r;
	v[n++] = after;
	for (size_t i = 0; i < t->n; i++)
		if (t->rows[i].pc > hi)
			v[n++] = t->rows[i];
	free(t->rows);
	t->rows = v;
	t->n = n;
	return 0;
}

/* asmcgocall's calls into C: the kernel's rule at each return address. */
static int patch_asmcgocall(Elf *elf, const struct go_func *f,
			    struct unwind_table *t)
{
	struct lt_unwind_row cgo = { .cfa_type = LT_CFA_GO_CGO };
	uint64_t sites[GO_MAX_CALL_SITES];
	const uint8_t *code;
	size_t n = 0, len = f->hi - f->lo;
	int rc = 0;

	if (len < GO_CALL_AX_LEN || len > GO_MAX_FUNC ||
	    !(code = code_of(elf, f->lo, f->hi)))
		return 0;
	for (size_t i = 0; i + GO_CALL_AX_LEN <= len; i++)
		if (code[i] == 0xff && code[i + 1] == 0xd0 &&
		    n < GO_MAX_CALL_SITES)
			sites[n++] = f->lo + i + GO_CALL_AX_LEN;
	/* A return address is looked up at ret - 1: the call's last byte. */
	for (size_t i = 0; i < n && !rc; i++)
		rc = table_override(t, sites[i] - 1, sites[i], cgo);
	return rc;
}

int unwind_go_patch(Elf *elf, struct unwind_table *t)
{
	struct lt_unwind_row end = { .cfa_type = LT_CFA_END };
	struct go_func funcs[GO_NFUNCS];
	int rc = 0;

	find_funcs(elf, funcs);
	if (!funcs[GO_ASMCGOCALL].hi && !funcs[GO_GOEXIT].hi)
		return 0; /* not Go */
	for (int k = GO_GOEXIT; k < GO_NFUNCS && !rc; k++)
		if (funcs[k].hi)
			rc = table_override(t, funcs[k].lo, funcs[k].hi, end);
	if (!rc && funcs[GO_ASMCGOCALL].hi)
		rc = patch_asmcgocall(elf, &funcs[GO_ASMCGOCALL], t);
	return rc;
}
