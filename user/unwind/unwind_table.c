// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unwind tables from CFI. The FDEs of .eh_frame (and of .debug_frame, for
 * ranges .eh_frame leaves out) are listed with dwarf_next_cfi; each FDE's
 * rows come from dwarf_cfi_addrframe, which evaluates the CFI program, and
 * are reduced to the few rules the BPF walk applies.
 */
#include <dwarf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unwind/unwind_go.h"
#include "unwind/unwind_table.h"

#define REG_RBP	 6
#define REG_RSP	 7
#define REG_RIP	 16
#define MAX_CIES 4096 /* per section; a real file has a handful */

/* An FDE's code range and the CFI that describes it. */
struct fde_range {
	uint64_t lo, hi;
	Dwarf_CFI *cfi;
	int from_eh; /* .eh_frame wins over .debug_frame */
};

struct range_list {
	struct fde_range *v;
	size_t n, cap;
};

struct cie_enc {
	Dwarf_Off off;
	uint8_t enc;
};

struct row_list {
	struct lt_unwind_row *v;
	size_t n, cap;
};

static int grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t cap2 = *cap ? *cap : 64;
	void *p;

	if (need <= *cap)
		return 0;
	while (cap2 < need)
		cap2 *= 2;
	p = realloc(*v, cap2 * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = cap2;
	return 0;
}

/* ---- classification of libdw's rules ------------------------------ */

static int64_t op_offset(const Dwarf_Op *op)
{
	return (int64_t)op->number;
}

static bool is_cfa_plus(const Dwarf_Op *ops, size_t n, int64_t *off)
{
	if (!ops || n < 1 || n > 2 || ops[0].atom != DW_OP_call_frame_cfa)
		return false;
	if (n == 1) {
		*off = 0;
		return true;
	}
	if (ops[1].atom != DW_OP_plus_uconst)
		return false;
	*off = op_offset(&ops[1]);
	return true;
}

/* cfa = rsp + N + ((rip & 15) >= K) << 3: the x86-64 PLT stubs' rule. */
static bool is_plt_expr(const Dwarf_Op *o, size_t n, int64_t *off, int *k)
{
	if (n != 9 || o[0].atom != DW_OP_breg0 + REG_RSP ||
	    o[1].atom != DW_OP_breg0 + REG_RIP || o[1].number != 0 ||
	    o[2].atom != DW_OP_lit15 || o[3].atom != DW_OP_and ||
	    o[4].atom < DW_OP_lit0 || o[4].atom > DW_OP_lit15 ||
	    o[5].atom != DW_OP_ge || o[6].atom != DW_OP_lit3 ||
	    o[7].atom != DW_OP_shl || o[8].atom != DW_OP_plus)
		return false;
	*off = op_offset(&o[0]);
	*k = o[4].atom - DW_OP_lit0;
	return true;
}

/* A one-op "register + offset" CFA: libdw gives DW_OP_bregx or bregN. */
static bool breg(const Dwarf_Op *op, int *reg, int64_t *off)
{
	if (op->atom == DW_OP_bregx) {
		*reg = op->number > 31 ? -1 : (int)op->number;
		*off = (int64_t)op->number2;
		return true;
	}
	if (op->atom >= DW_OP_breg0 && op->atom <= DW_OP_breg31) {
		*reg = op->atom - DW_OP_breg0;
		*off = op_offset(op);
		return true;
	}
	return false;
}

static void classify_cfa(const Dwarf_Op *cfa, size_t n, struct lt_unwind_row *r)
{
	int64_t off = 0;
	int k, reg;

	r->cfa_type = LT_CFA_INVALID;
	if (n == 1 && breg(&cfa[0], &reg, &off) &&
	    (reg == REG_RSP || reg == REG_RBP)) {
		if (off < INT32_MIN || off > INT32_MAX)
			return;
		r->cfa_type = reg == REG_RSP ? LT_CFA_RSP : LT_CFA_RBP;
		r->cfa_off = (int32_t)off;
	} else if (n && is_plt_expr(cfa, n, &off, &k) && off >= 0 && off < 64) {
		r->cfa_type = LT_CFA_PLT;
		r->cfa_off = (int32_t)off;
		r->rbp_off = (int16_t)k;
	}
}

static void classify_rbp(const Dwarf_Op *rbp, size_t n, bool undefined,
			 struct lt_unwind_row *r)
{
	int64_t off;

	if (!n && !rbp)
		r->rbp_type = LT_RBP_SAME;
	else if (!undefined && is_cfa_plus(rbp, n, &off) && off >= INT16_MIN &&
		 off <= INT16_MAX) {
		r->rbp_type = LT_RBP_AT_CFA;
		r->rbp_off = (int16_t)off;
	} else
		r->rbp_type = LT_RBP_UNKNOWN;
}

void unwind_classify(const Dwarf_Op *cfa, size_t n_cfa, const Dwarf_Op *rbp,
		     size_t n_rbp, bool rbp_undefined, const Dwarf_Op *ra,
		     size_t n_ra, bool ra_undefined, bool signal,
		     struct lt_unwind_row *r)
{
	int64_t ra_off;

	r->cfa_off = 0;
	r->rbp_off = 0;
	r->rbp_type = LT_RBP_SAME;
	if (signal) {
		r->cfa_type = LT_CFA_SIGNAL;
		return;
	}
	if (ra_undefined) {
		r->cfa_type = LT_CFA_END;
		return;
	}
	classify_cfa(cfa, n_cfa, r);
	if (r->cfa_type == LT_CFA_PLT)
		return; /* rbp_off holds K; PLT stubs leave rbp alone */
	if (!is_cfa_plus(ra, n_ra, &ra_off) || ra_off != -8) {
		r->cfa_type = LT_CFA_INVALID;
		r->cfa_off = 0;
		return;
	}
	if (r->cfa_type != LT_CFA_INVALID)
		classify_rbp(rbp, n_rbp, rbp_undefined, r);
}

const char *unwind_cfa_name(unsigned int cfa_type)
{
	static const char *const names[] = {
		[LT_CFA_NONE] = "none",	      [LT_CFA_RSP] = "rsp",
		[LT_CFA_RBP] = "rbp",	      [LT_CFA_PLT] = "plt",
		[LT_CFA_SIGNAL] = "signal",   [LT_CFA_END] = "end",
		[LT_CFA_INVALID] = "invalid", [LT_CFA_GO_CGO] = "go-cgo",
	};

	return cfa_type < sizeof(names) / sizeof(names[0]) ? names[cfa_type]
							   : "?";
}

/* The row at pc, from libdw's frame; false when libdw has none. */
static bool row_at(Dwarf_CFI *cfi, uint64_t pc, uint64_t *end,
		   struct lt_unwind_row *r)
{
	Dwarf_Op rbp_mem[3], ra_mem[3], *cfa = NULL, *rbp = NULL, *ra = NULL;
	size_t n_cfa = 0, n_rbp = 0, n_ra = 0;
	Dwarf_Frame *f = NULL;
	Dwarf_Addr start, stop;
	bool signal = false;
	int ok;

	if (dwarf_cfi_addrframe(cfi, pc, &f) || !f)
		return false;
	ok = dwarf_frame_info(f, &start, &stop, &signal) >= 0 && stop > pc &&
	     dwarf_frame_cfa(f, &cfa, &n_cfa) == 0 &&
	     dwarf_frame_register(f, REG_RBP, rbp_mem, &rbp, &n_rbp) == 0 &&
	     dwarf_frame_register(f, REG_RIP, ra_mem, &ra, &n_ra) == 0;
	if (ok) {
		unwind_classify(cfa, n_cfa, rbp, n_rbp,
				!n_rbp && rbp == rbp_mem, ra, n_ra,
				!n_ra && ra == ra_mem, signal, r);
		*end = stop;
	}
	free(f);
	return ok;
}

/* ---- FDE ranges ---------------------------------------------------- */

/* A DWARF pointer-encoded value at *p (DW_EH_PE_*), advancing *p. */
static int read_encoded(const uint8_t **p, const uint8_t *end, uint8_t enc,
			uint64_t field_addr, uint64_t *val)
{
	const uint8_t *s = *p;
	uint64_t v = 0;
	size_t len;

	switch (enc & 0x0f) {
	case DW_EH_PE_absptr:
	case DW_EH_PE_udata8:
	case DW_EH_PE_sdata8:
		len = 8;
		break;
	case DW_EH_PE_udata4:
	case DW_EH_PE_sdata4:
		len = 4;
		break;
	case DW_EH_PE_udata2:
	case DW_EH_PE_sdata2:
		len = 2;
		break;
	default:
		return -EINVAL; /* leb128 locations: not seen on x86-64 */
	}
	if ((size_t)(end - s) < len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		v |= (uint64_t)s[i] << (8 * i);
	if ((enc & 0x0f) == DW_EH_PE_sdata4)
		v = (uint64_t)(int64_t)(int32_t)v;
	else if ((enc & 0x0f) == DW_EH_PE_sdata2)
		v = (uint64_t)(int64_t)(int16_t)v;
	switch (enc & 0x70) {
	case DW_EH_PE_absptr:
		break;
	case DW_EH_PE_pcrel:
		v += field_addr;
		break;
	default:
		return -EINVAL;
	}
	if (enc & DW_EH_PE_indirect)
		return -EINVAL;
	*val = v;
	*p = s + len;
	return 0;
}

/* Bytes of an encoded value in augmentation data (to skip 'P'). */
static size_t encoded_size(uint8_t enc)
{
	switch (enc & 0x0f) {
	case DW_EH_PE_udata2:
	case DW_EH_PE_sdata2:
		return 2;
	case DW_EH_PE_udata4:
	case DW_EH_PE_sdata4:
		return 4;
	default:
		return 8;
	}
}

/* The FDE pointer encoding of a CIE, from its "zR" augmentation. */
static uint8_t cie_fde_encoding(const Dwarf_CIE *cie, bool eh)
{
	const char *aug = cie->augmentation;
	const uint8_t *d = cie->augmentation_data;
	size_t i = 0, n = cie->augmentation_data_size;

	if (!eh || !aug || aug[0] != 'z' || !d)
		return DW_EH_PE_absptr;
	for (aug++; *aug && i < n; aug++) {
		if (*aug == 'R')
			return d[i];
		if (*aug == 'L')
			i++;
		else if (*aug == 'P') {
			if (d[i] == DW_EH_PE_omit)
				return DW_EH_PE_omit;
			i += 1 + encoded_size(d[i]);
		} else if (*aug != 'S' && *aug != 'B')
			break;
	}
	return DW_EH_PE_absptr;
}

static int find_cie(const struct cie_enc *cies, size_t n, Dwarf_Off off)
{
	for (size_t i = 0; i < n; i++)
		if (cies[i].off == off)
			return (int)i;
	return -1;
}

/* The code range of one FDE; -EINVAL when we cannot decode it. */
static int fde_range(const Dwarf_FDE *fde, uint8_t enc, uint64_t sec_addr,
		     const uint8_t *sec_base, struct fde_range *r)
{
	const uint8_t *p = fde->start;
	uint64_t lo, len;

	if (enc == DW_EH_PE_omit ||
	    read_encoded(&p, fde->end, enc, sec_addr + (p - sec_base), &lo) ||
	    read_encoded(&p, fde->end, enc & 0x0f, 0, &len))
		return -EINVAL;
	if (!len || lo + len < lo || lo + len > UINT32_MAX)
		return -EINVAL;
	r->lo = lo;
	r->hi = lo + len;
	return 0;
}

/* Append the FDE ranges of one CFI section. */
static int section_ranges(Elf *elf, Elf_Scn *scn, bool eh, Dwarf_CFI *cfi,
			  struct range_list *out, size_t *n_fdes)
{
	static struct cie_enc cies[MAX_CIES];
	const unsigned char *ident =
		(const unsigned char *)elf_getident(elf, NULL);
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t n_cies = 0;
	GElf_Shdr sh;

	if (!ident || !data || !data->d_buf || !gelf_getshdr(scn, &sh))
		return 0;
	for (int pass = 0; pass < 2; pass++) {
		Dwarf_Off off = 0, next;
		Dwarf_CFI_Entry e;
		int rc;

		while ((rc = dwarf_next_cfi(ident, data, eh, off, &next, &e)) !=
		       1) {
			if (rc == 0 && dwarf_cfi_cie_p(&e) && pass == 0 &&
			    n_cies < MAX_CIES)
				cies[n_cies++] = (struct cie_enc){
					off, cie_fde_encoding(&e.cie, eh)
				};
			else if (rc == 0 && !dwarf_cfi_cie_p(&e) && pass == 1) {
				int c = find_cie(cies, n_cies,
						 e.fde.CIE_pointer);
				struct fde_range r = { .cfi = cfi,
						       .from_eh = eh };

				if (c >= 0 &&
				    !fde_range(&e.fde, cies[c].enc, sh.sh_addr,
					       data->d_buf, &r)) {
					if (grow((void **)&out->v, &out->cap,
						 out->n + 1, sizeof(r)))
						return -ENOMEM;
					out->v[out->n++] = r;
					(*n_fdes)++;
				}
			}
			if (next == (Dwarf_Off)-1 || next <= off)
				break;
			off = next;
		}
	}
	return 0;
}

static int by_lo(const void *a, const void *b)
{
	const struct fde_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return y->from_eh - x->from_eh; /* .eh_frame first */
}

/* ---- rows ---------------------------------------------------------- */

static bool same_rule(const struct lt_unwind_row *a,
		      const struct lt_unwind_row *b)
{
	return a->cfa_type == b->cfa_type && a->cfa_off == b->cfa_off &&
	       a->rbp_type == b->rbp_type && a->rbp_off == b->rbp_off;
}

static int add_row(struct row_list *rows, const struct lt_unwind_row *r)
{
	struct lt_unwind_row *last = rows->n ? &rows->v[rows->n - 1] : NULL;

	if (last && last->pc == r->pc) {
		*last = *r; /* an empty range: the later rule holds */
		if (rows->n > 1 && same_rule(&rows->v[rows->n - 2], last))
			rows->n--;
		return 0;
	}
	if (last && same_rule(last, r))
		return 0;
	if (grow((void **)&rows->v, &rows->cap, rows->n + 1, sizeof(*r)))
		return -ENOMEM;
	rows->v[rows->n++] = *r;
	return 0;
}

/* Rows of [lo, hi), then a "none" row at hi unless the next FDE starts. */
static int fde_rows(const struct fde_range *f, uint64_t next_lo,
		    struct row_list *rows, size_t *n_invalid)
{
	uint64_t pc = f->lo, end;

	while (pc < f->hi) {
		struct lt_unwind_row r = { .pc = (uint32_t)pc };

		if (!row_at(f->cfi, pc, &end, &r)) {
			r.cfa_type = LT_CFA_INVALID;
			end = f->hi;
		}
		if (r.cfa_type == LT_CFA_INVALID)
			(*n_invalid)++;
		if (add_row(rows, &r))
			return -ENOMEM;
		pc = end < f->hi ? end : f->hi;
	}
	if (next_lo != f->hi) {
		struct lt_unwind_row none = { .pc = (uint32_t)f->hi };

		return add_row(rows, &none);
	}
	return 0;
}

static int build_rows(struct range_list *ranges, struct unwind_table *t)
{
	struct row_list rows = { 0 };
	uint64_t covered = 0;

	qsort(ranges->v, ranges->n, sizeof(*ranges->v), by_lo);
	for (size_t i = 0; i < ranges->n; i++) {
		struct fde_range f = ranges->v[i];
		uint64_t next_lo = i + 1 < ranges->n ? ranges->v[i + 1].lo : 0;

		if (f.hi <= covered)
			continue; /* duplicate or overlapped FDE */
		if (f.lo < covered)
			f.lo = covered;
		if (fde_rows(&f, next_lo, &rows, &t->n_invalid)) {
			free(rows.v);
			return -ENOMEM;
		}
		covered = f.hi;
	}
	t->rows = rows.v;
	t->n = rows.n;
	return 0;
}

/* ---- the file ------------------------------------------------------ */

static void read_build_id(Elf *elf, struct unwind_table *t)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, name_off, desc_off;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		while ((off = gelf_getnote(d, off, &nh, &name_off,
					   &desc_off))) {
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp((char *)d->d_buf + name_off, "GNU", 4) &&
			    nh.n_descsz <= UNWIND_BUILD_ID_MAX) {
				memcpy(t->build_id, (char *)d->d_buf + desc_off,
				       nh.n_descsz);
				t->build_id_len = nh.n_descsz;
				return;
			}
		}
	}
}

static Elf_Scn *section_named(Elf *elf, const char *name)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *n;

		if (gelf_getshdr(scn, &sh) && sh.sh_type != SHT_NOBITS &&
		    (n = elf_strptr(elf, shstrndx, sh.sh_name)) &&
		    !strcmp(n, name))
			return scn;
	}
	return NULL;
}

static int build_from_elf(Elf *elf, struct unwind_table *t)
{
	struct range_list ranges = { 0 };
	Dwarf_CFI *eh = dwarf_getcfi_elf(elf), *dbg = NULL;
	Dwarf *dw = NULL;
	Elf_Scn *scn;
	int rc = 0;

	read_build_id(elf, t);
	if (eh && (scn = section_named(elf, ".eh_frame")))
		rc = section_ranges(elf, scn, true, eh, &ranges, &t->n_fdes);
	if (!rc && (scn = section_named(elf, ".debug_frame")) &&
	    (dw = dwarf_begin_elf(elf, DWARF_C_READ, NULL)) &&
	    (dbg = dwarf_getcfi(dw)))
		rc = section_ranges(elf, scn, false, dbg, &ranges, &t->n_fdes);
	if (!rc && !ranges.n)
		rc = -ENOENT;
	if (!rc)
		rc = build_rows(&ranges, t);
	if (!rc)
		rc = unwind_go_patch(elf, t);
	free(ranges.v);
	if (dw)
		dwarf_end(dw);
	if (eh)
		dwarf_cfi_end(eh);
	return rc;
}

int unwind_table_build(int fd, struct unwind_table *t)
{
	GElf_Ehdr eh;
	Elf *elf;
	int rc;

	memset(t, 0, sizeof(*t));
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return -EINVAL;
	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64)
		rc = -EINVAL;
	else
		rc = build_from_elf(elf, t);
	elf_end(elf);
	if (rc)
		unwind_table_free(t);
	return rc;
}

int unwind_table_build_path(const char *path, struct unwind_table *t)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0) {
		memset(t, 0, sizeof(*t));
		return -errno;
	}
	rc = unwind_table_build(fd, t);
	close(fd);
	return rc;
}

void unwind_table_free(struct unwind_table *t)
{
	free(t->rows);
	t->rows = NULL;
	t->n = 0;
}

const struct lt_unwind_row *unwind_table_find(const struct unwind_table *t,
					      uint64_t pc)
{
	size_t lo = 0, hi = t->n;

	/* The last row whose pc <= pc, as the kernel's search finds it. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->rows[mid].pc <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &t->rows[lo - 1] : NULL;
}
