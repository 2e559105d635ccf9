// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * --svg and --svg-growth. The layout is computed here, so the file shows
 * the graph even where scripts do not run; the embedded script only adds
 * hover details, zoom and search, reading what it needs from data-
 * attributes (data-o: offset in bytes from the left, data-v: bytes,
 * data-d: depth, data-n: name).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "export/flamegraph.h"
#include "lib/units.h"
#include "lib/utf8.h"
#include "lib/vec.h"

#define FRAME_H 17
#define TOP	80 /* title, subtitle, legend */
#define BOTTOM	34 /* details and search result lines */
#define MIN_WIDTH                                                              \
	0.1 /* px: narrower frames are left out, bytes stay in the parent */
#define CHAR_W	   7.2 /* px of a 12 px monospace character */
#define MAX_NAME   600
#define SAME_SHARE 0.005 /* less growth than this share of a frame: unchanged */

struct fg_node {
	char *name;  /* as shown */
	char *where; /* module or source position, for the tooltip */
	enum frame_kind kind;
	int64_t bytes, count, base;
	struct fg_node **kids;
	size_t n_kids, cap_kids;
};

struct fg {
	FILE *out;
	const struct fg_options *o;
	struct fg_node root;
	int64_t total;
	double scale; /* px per byte */
	int depth;    /* deepest frame, the root being 0 */
	int height;
};

/* ---- tree -------------------------------------------------------------- */

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Python frames keep their line: each line of a function is its own frame. */
static void display_name(const struct prof_frame *f, char *buf, size_t len)
{
	if (f->kind == FK_PYTHON && f->file[0] && f->line)
		snprintf(buf, len, "%s (%s:%d)", f->name, base_name(f->file),
			 f->line);
	else
		snprintf(buf, len, "%s", f->name);
}

static void frame_where(const struct prof_frame *f, char *buf, size_t len)
{
	const char *mod = f->module ? base_name(f->module->path) : "";

	if (f->kind == FK_PYTHON)
		snprintf(buf, len, "Python, %s:%d", f->file, f->line);
	else if (f->file[0])
		snprintf(buf, len, "%s, %s, %s:%d",
			 f->kind == FK_ALLOCATOR ? "allocator" : "native", mod,
			 f->file, f->line);
	else if (f->kind == FK_PSEUDO)
		buf[0] = '\0';
	else
		snprintf(buf, len, "%s%s%s",
			 f->kind == FK_ALLOCATOR ? "allocator" : "native",
			 *mod ? ", " : "", mod);
	if (f->inlined && strlen(buf) + 10 < len)
		strcat(buf, " (inlined)");
}

static struct fg_node *new_kid(struct fg_node *parent,
			       const struct prof_frame *f, const char *name)
{
	char where[MAX_NAME * 2];
	struct fg_node *kid;

	if (VEC_ROOM(&parent->kids, &parent->n_kids, &parent->cap_kids))
		return NULL;
	kid = calloc(1, sizeof(*kid));
	if (!kid)
		return NULL;
	frame_where(f, where, sizeof(where));
	kid->name = strdup(name);
	kid->where = strdup(where);
	kid->kind = f->kind;
	if (!kid->name || !kid->where) {
		free(kid->name);
		free(kid->where);
		free(kid);
		return NULL;
	}
	parent->kids[parent->n_kids++] = kid;
	return kid;
}

static struct fg_node *kid_for(struct fg_node *parent,
			       const struct prof_frame *f)
{
	char name[MAX_NAME];
	size_t i;

	display_name(f, name, sizeof(name));
	for (i = 0; i < parent->n_kids; i++)
		if (parent->kids[i]->kind == f->kind &&
		    !strcmp(parent->kids[i]->name, name))
			return parent->kids[i];
	return new_kid(parent, f, name);
}

static void account(struct fg_node *n, const struct prof_sample *s)
{
	n->bytes += s->bytes > 0 ? s->bytes : 0;
	n->count += s->bytes > 0 ? s->count : 0;
	n->base += s->base_bytes > 0 ? s->base_bytes : 0;
}

static struct fg_node *process_root(struct fg *g, const struct prof_sample *s)
{
	struct prof_frame f = { .kind = FK_PSEUDO, .file = "" };
	char name[128];

	snprintf(name, sizeof(name), "%s (%d)", s->comm ? s->comm : "?",
		 s->pid);
	f.name = name;
	return kid_for(&g->root, &f);
}

/* Root first: frames are stored leaf first. */
static int add_sample(struct fg *g, const struct prof_sample *s)
{
	struct fg_node *n = &g->root;
	size_t i;

	account(n, s);
	if (g->o->process_roots) {
		n = process_root(g, s);
		if (!n)
			return -ENOMEM;
		account(n, s);
	}
	for (i = s->n_frames; i-- > 0;) {
		n = kid_for(n, &s->frames[i]);
		if (!n)
			return -ENOMEM;
		account(n, s);
	}
	if ((int)s->n_frames + g->o->process_roots > g->depth)
		g->depth = s->n_frames + g->o->process_roots;
	return 0;
}

static void free_node(struct fg_node *n)
{
	size_t i;

	for (i = 0; i < n->n_kids; i++) {
		free_node(n->kids[i]);
		free(n->kids[i]);
	}
	free(n->kids);
	free(n->name);
	free(n->where);
}

static int by_name(const void *a, const void *b)
{
	const struct fg_node *x = *(const struct fg_node **)a;
	const struct fg_node *y = *(const struct fg_node **)b;

	return strcmp(x->name, y->name);
}

/* ---- SVG text ---------------------------------------------------------- */

/* XML 1.0 allows neither controls nor U+FFFE/U+FFFF, even as references. */
static bool xml_forbidden(const unsigned char *s, size_t n)
{
	if (!n || *s < 0x20 || *s == 0x7f)
		return true;
	return n == 3 && s[0] == 0xef && s[1] == 0xbf && s[2] >= 0xbe;
}

/* Escaped for text and attributes; what XML forbids becomes '?'. */
static void xml_put(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		size_t n = utf8_char_len(s);

		if (*s == '<')
			fputs("&lt;", out);
		else if (*s == '>')
			fputs("&gt;", out);
		else if (*s == '&')
			fputs("&amp;", out);
		else if (*s == '"')
			fputs("&quot;", out);
		else if (*s == '\n')
			fputs("&#10;", out);
		else if (xml_forbidden(s, n))
			fputc('?', out);
		else
			fwrite(s, 1, n, out);
		s += n ? n : 1;
	}
}

/* The label that fits in w px, "" when not even three characters do. */
static void fit_label(char *buf, size_t len, const char *name, double w)
{
	long fits = (long)((w - 6) / CHAR_W);
	size_t n = strlen(name), cut;

	buf[0] = '\0';
	if (fits < 3)
		return;
	if (n <= (size_t)fits) {
		snprintf(buf, len, "%s", name);
		return;
	}
	cut = (size_t)fits - 2 < len - 3 ? (size_t)fits - 2 : len - 3;
	/* Do not cut a UTF-8 character in half. */
	while (cut > 0 && ((unsigned char)name[cut] & 0xc0) == 0x80)
		cut--;
	memcpy(buf, name, cut);
	strcpy(buf + cut, "..");
}

/* ---- colours ----------------------------------------------------------- */

static unsigned int name_hash(const char *s)
{
	unsigned int h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static char growth_class(const struct fg_node *n)
{
	int64_t delta = n->bytes - n->base;
	int64_t big = n->bytes > n->base ? n->bytes : n->base;

	if (!big || (double)llabs(delta) <= SAME_SHARE * (double)big)
		return 'u';
	return delta > 0 ? 'g' : 's';
}

/* Red grows, blue shrinks; the deeper, the larger the share that changed. */
static void growth_fill(char *buf, size_t len, const struct fg_node *n)
{
	int64_t big = n->bytes > n->base ? n->bytes : n->base;
	double share = big ? (double)llabs(n->bytes - n->base) / big : 0;
	char c = growth_class(n);

	if (c == 'u')
		snprintf(buf, len, "hsl(40,8%%,84%%)");
	else
		snprintf(buf, len, "hsl(%d,85%%,%.0f%%)", c == 'g' ? 0 : 215,
			 90 - 38 * share);
}

/* Memory colours: greens for native code, gold for Python, violet for the
 * allocator, grey for pseudo frames; shades vary by name so neighbours
 * stand apart and a function keeps its colour across reports. */
static void kind_fill(char *buf, size_t len, const struct fg_node *n)
{
	unsigned int h = name_hash(n->name);
	double a = (h & 0xff) / 255.0, b = ((h >> 8) & 0xff) / 255.0;

	switch (n->kind) {
	case FK_PYTHON:
		snprintf(buf, len, "hsl(%.0f,80%%,%.0f%%)", 40 + 14 * a,
			 58 + 8 * b);
		break;
	case FK_ALLOCATOR:
		snprintf(buf, len, "hsl(%.0f,45%%,%.0f%%)", 268 + 16 * a,
			 70 + 6 * b);
		break;
	case FK_PSEUDO:
		snprintf(buf, len, "hsl(0,0%%,%.0f%%)", 78 + 6 * b);
		break;
	default:
		snprintf(buf, len, "hsl(%.0f,%.0f%%,%.0f%%)", 95 + 55 * a,
			 42 + 16 * b, 52 + 10 * a);
	}
}

static const char *kind_class(enum frame_kind k)
{
	switch (k) {
	case FK_PYTHON:
		return "k-py";
	case FK_ALLOCATOR:
		return "k-alloc";
	case FK_PSEUDO:
		return "k-pseudo";
	default:
		return "k-native";
	}
}

/* ---- frames ------------------------------------------------------------ */

static void tooltip(const struct fg *g, const struct fg_node *n)
{
	char bytes[32], delta[32], base[32];

	fputs("<title>", g->out);
	xml_put(g->out, n->name);
	fprintf(g->out, ": %s (%.2f%%), %" PRId64 " block%s",
		format_bytes(bytes, sizeof(bytes), n->bytes),
		g->total ? 100.0 * n->bytes / g->total : 0, n->count,
		n->count == 1 ? "" : "s");
	if (g->o->growth)
		fprintf(g->out, ", %s%s since the baseline (was %s)",
			n->bytes >= n->base ? "+" : "",
			format_bytes(delta, sizeof(delta), n->bytes - n->base),
			format_bytes(base, sizeof(base), n->base));
	if (n->where && n->where[0]) {
		fputs("&#10;", g->out);
		xml_put(g->out, n->where);
	}
	fputs("</title>", g->out);
}

static void emit_frame(struct fg *g, const struct fg_node *n, int depth,
		       int64_t offset)
{
	double x = FG_PAD + offset * g->scale, w = n->bytes * g->scale;
	double y = g->height - BOTTOM - (depth + 1) * FRAME_H;
	char fill[48], label[MAX_NAME];

	if (g->o->growth)
		growth_fill(fill, sizeof(fill), n);
	else
		kind_fill(fill, sizeof(fill), n);
	fprintf(g->out, "<g class=\"f %s", kind_class(n->kind));
	if (g->o->growth)
		fprintf(g->out, " gr-%c", growth_class(n));
	fprintf(g->out,
		"\" data-o=\"%" PRId64 "\" data-v=\"%" PRId64
		"\" data-d=\"%d\" data-c=\"%" PRId64 "\"",
		offset, n->bytes, depth, n->count);
	if (g->o->growth)
		fprintf(g->out, " data-b=\"%" PRId64 "\"", n->base);
	fputs(" data-n=\"", g->out);
	xml_put(g->out, n->name);
	fputs("\">", g->out);
	tooltip(g, n);
	fprintf(g->out,
		"<rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"%d\" fill=\"%s\" rx=\"2\"/>",
		x, y, w, FRAME_H - 1, fill);
	fit_label(label, sizeof(label), n->name, w);
	fprintf(g->out, "<text x=\"%.2f\" y=\"%.0f\">", x + 3, y + 12);
	xml_put(g->out, label);
	fputs("</text></g>\n", g->out);
}

/* Parents before children, children side by side in name order. */
static void emit_tree(struct fg *g, struct fg_node *n, int depth,
		      int64_t offset)
{
	size_t i;

	if (n->bytes <= 0 || n->bytes * g->scale < MIN_WIDTH)
		return;
	emit_frame(g, n, depth, offset);
	if (n->n_kids) /* qsort's base may not be NULL, even for 0 */
		qsort(n->kids, n->n_kids, sizeof(*n->kids), by_name);
	for (i = 0; i < n->n_kids; i++) {
		emit_tree(g, n->kids[i], depth + 1, offset);
		if (n->kids[i]->bytes > 0)
			offset += n->kids[i]->bytes;
	}
}

/* ---- document ---------------------------------------------------------- */

/*
 * Style, and the script for hover details, click to zoom and search (no
 * network, no dependencies): flamegraph.css and flamegraph.js, embedded by
 * flamegraph_assets.S.
 */
extern const char fg_style[], fg_script[];

struct swatch {
	const char *fill, *text;
};

static const struct swatch kind_legend[] = {
	{ "hsl(120,50%,56%)", "native" },    { "hsl(47,80%,61%)", "Python" },
	{ "hsl(276,45%,72%)", "allocator" }, { "hsl(0,0%,80%)", "other" },
	{ "#e0329b", "search match" },
};

static const struct swatch growth_legend[] = {
	{ "hsl(0,85%,55%)", "grew" },
	{ "hsl(215,85%,55%)", "shrank" },
	{ "hsl(40,8%,84%)", "unchanged" },
	{ "#e0329b", "search match" },
	{ NULL, "italic: Python, bold: allocator" },
};

static void emit_legend(struct fg *g)
{
	const struct swatch *sw = g->o->growth ? growth_legend : kind_legend;
	size_t i, n = g->o->growth ? sizeof(growth_legend) / sizeof(*sw)
				   : sizeof(kind_legend) / sizeof(*sw);
	int x = FG_PAD;

	fputs("<g id=\"legend\">", g->out);
	for (i = 0; i < n; i++) {
		if (sw[i].fill) {
			fprintf(g->out,
				"<rect x=\"%d\" y=\"56\" width=\"14\" height=\"12\" fill=\"%s\"/>",
				x, sw[i].fill);
			x += 18;
		}
		fprintf(g->out, "<text x=\"%d\" y=\"66\">%s</text>", x,
			sw[i].text);
		x += 14 + (int)(strlen(sw[i].text) * 6.2);
	}
	fputs("</g>\n", g->out);
}

static void emit_totals(struct fg *g)
{
	char now[32], base[32], delta[32];

	if (!g->o->growth) {
		fprintf(g->out, " \xe2\x80\x94 %s in %" PRId64 " blocks",
			format_bytes(now, sizeof(now), g->total),
			g->root.count);
		return;
	}
	fprintf(g->out, " \xe2\x80\x94 now %s, baseline %s: %s%s",
		format_bytes(now, sizeof(now), g->root.bytes),
		format_bytes(base, sizeof(base), g->root.base),
		g->root.bytes >= g->root.base ? "+" : "",
		format_bytes(delta, sizeof(delta),
			     g->root.bytes - g->root.base));
}

static void emit_head(struct fg *g)
{
	fprintf(g->out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" data-total=\"%" PRId64
		"\" data-pad=\"%d\" data-cw=\"%.1f\" data-minw=\"%.1f\" data-mode=\"%s\">\n",
		FG_WIDTH, g->height, FG_WIDTH, g->height, g->total, FG_PAD,
		CHAR_W, MIN_WIDTH, g->o->growth ? "growth" : "outstanding");
	fprintf(g->out, "<style>\n%s</style>\n", fg_style);
	fputs("<rect width=\"100%\" height=\"100%\" fill=\"#fdfdf8\"/>\n",
	      g->out);
	fprintf(g->out,
		"<text id=\"title\" x=\"%d\" y=\"24\" text-anchor=\"middle\">",
		FG_WIDTH / 2);
	xml_put(g->out, g->o->title ? g->o->title : "leaktrace");
	fprintf(g->out,
		"</text>\n<text id=\"subtitle\" x=\"%d\" y=\"44\" text-anchor=\"middle\">",
		FG_WIDTH / 2);
	xml_put(g->out, g->o->subtitle ? g->o->subtitle : "");
	emit_totals(g);
	fputs("</text>\n", g->out);
	fprintf(g->out,
		"<text id=\"reset\" x=\"%d\" y=\"24\" style=\"visibility:hidden\">Reset zoom</text>\n",
		FG_PAD);
	fprintf(g->out,
		"<foreignObject x=\"%d\" y=\"50\" width=\"300\" height=\"24\">"
		"<input xmlns=\"http://www.w3.org/1999/xhtml\" id=\"search\" type=\"search\" placeholder=\"Search frames (regular expression)\"/>"
		"</foreignObject>\n",
		FG_WIDTH - FG_PAD - 300);
	emit_legend(g);
}

static void emit_tail(struct fg *g)
{
	fprintf(g->out,
		"<text id=\"details\" x=\"%d\" y=\"%d\">Hover a frame for details, click to zoom, Ctrl-F to search.</text>\n",
		FG_PAD, g->height - 12);
	fprintf(g->out,
		"<text id=\"matched\" x=\"%d\" y=\"%d\" text-anchor=\"end\"></text>\n",
		FG_WIDTH - FG_PAD, g->height - 12);
	fprintf(g->out,
		"<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n</svg>\n",
		fg_script);
}

int flamegraph_write(FILE *out, const struct profile *p,
		     const struct fg_options *o)
{
	struct fg g = { .out = out, .o = o };
	int err = 0;
	size_t i;

	g.root.name = strdup("all");
	g.root.kind = FK_PSEUDO;
	if (!g.root.name)
		return -ENOMEM;
	for (i = 0; i < p->n && !err; i++)
		if (p->samples[i].bytes > 0 ||
		    (o->growth && p->samples[i].base_bytes > 0))
			err = add_sample(&g, &p->samples[i]);
	if (!err) {
		g.total = g.root.bytes;
		g.scale = g.total ? (FG_WIDTH - 2.0 * FG_PAD) / g.total : 0;
		g.height = TOP + (g.depth + 1) * FRAME_H + BOTTOM;
		emit_head(&g);
		fputs("<g id=\"frames\">\n", out);
		emit_tree(&g, &g.root, 0, 0);
		fputs("</g>\n", out);
		if (!g.total)
			fprintf(out,
				"<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">No outstanding memory in this report.</text>\n",
				FG_WIDTH / 2, g.height - BOTTOM - 4);
		emit_tail(&g);
		if (ferror(out))
			err = -EIO;
	}
	free_node(&g.root);
	return err;
}
