// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* --svg, --svg-growth, --pprof and --pyroscope at every report. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "export/baseline.h"
#include "export/export.h"
#include "export/flamegraph.h"
#include "export/folded.h"
#include "lib/log.h"
#include "lib/outfile.h"
#include "export/pprof.h"
#include "export/profile_report.h"
#include "lib/proc.h"
#include "export/pyroscope.h"

struct exporter {
	const struct options *o;
	bool process_roots;
	struct baseline base;
	struct pyroscope *pyro;
};

static void warn_write(const char *path, int err)
{
	if (err)
		lt_warn("cannot write %s: %s", path, outfile_strerror(err));
}

/* ---- flame graphs ------------------------------------------------------ */

static void describe(const struct exporter *e, const struct report *r,
		     char *buf, size_t len)
{
	char when[16];
	struct tm tm;
	size_t used;

	localtime_r(&r->wall.tv_sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (r->n_procs == 1)
		used = snprintf(buf, len, "pid %d (%s)", r->procs[0].pid,
				r->procs[0].comm);
	else
		used = snprintf(buf, len, "%zu processes", r->n_procs);
	if (used < len)
		snprintf(buf + used, len - used,
			 ", %s report at %s, %.1f s after attach",
			 r->final ? "final" : "periodic", when, r->elapsed_s);
}

static void write_svg(const struct exporter *e, const struct profile *p,
		      const struct report *r, bool growth, const char *path)
{
	char what[256], sub[512];
	struct fg_options fo = { .growth = growth,
				 .process_roots = e->process_roots };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	describe(e, r, what, sizeof(what));
	if (growth && e->base.taken)
		snprintf(sub, sizeof(sub), "%s; baseline %.1f s after attach",
			 what, e->base.at_s);
	else if (growth)
		snprintf(sub, sizeof(sub),
			 "%s; baseline not taken yet (due %.1f s after attach)",
			 what, e->o->baseline_ns / 1e9);
	else
		snprintf(sub, sizeof(sub), "%s", what);
	fo.title =
		growth ? "leaktrace: memory growth since the baseline (width: outstanding now, red: grew, blue: shrank)"
		       : "leaktrace: outstanding memory by stack";
	fo.subtitle = sub;
	f = open_memstream(&buf, &len);
	if (!f) {
		warn_write(path, -ENOMEM);
		return;
	}
	err = flamegraph_write(f, p, &fo);
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (!err)
		err = outfile_write(path, buf, len);
	warn_write(path, err);
	free(buf);
}

/* ---- pprof and Pyroscope ----------------------------------------------- */

static void write_pprof(const struct profile *p, const char *path)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int err = pprof_encode(p, &buf, &len);

	if (!err)
		err = outfile_write(path, buf, len);
	warn_write(path, err);
	free(buf);
}

/*
 * One push per report: one traced process gets its pid and command as
 * labels; several share one profile with a root frame per process.
 */
static void push(struct exporter *e, const struct profile *p,
		 const struct report *r)
{
	bool roots = e->process_roots || r->n_procs != 1;
	struct pyro_label extra[2];
	char pid[16];
	time_t until = r->wall.tv_sec;
	time_t from = until - (r->interval_s >= 1 ? (time_t)r->interval_s : 1);
	size_t len = 0, n = 0;
	char *body;

	if (!r->n_procs)
		return;
	body = folded_report_text(r, roots, &len);
	if (!body)
		return;
	if (!roots) {
		snprintf(pid, sizeof(pid), "%d", r->procs[0].pid);
		extra[n].key = "pid";
		extra[n++].value = pid;
		extra[n].key = "command";
		extra[n++].value = r->procs[0].comm;
	}
	if (len)
		pyroscope_push(e->pyro, extra, n, body, len, from, until);
	free(body);
}

/* ---- the exporter ------------------------------------------------------ */

static int app_labels(const struct options *o, struct pyro_label *out)
{
	int i;

	for (i = 0; i < o->n_labels; i++) {
		const char *eq = strchr(o->labels[i], '=');

		out[i].key = strndup(o->labels[i], eq - o->labels[i]);
		out[i].value = eq + 1;
		if (!out[i].key)
			return -ENOMEM;
	}
	return 0;
}

/* The traced command's name, or leaktrace when there is no single one. */
static void default_app_name(const struct options *o, char *buf, size_t len)
{
	const char *cmd = o->command, *end, *slash;

	if (cmd) {
		cmd += strspn(cmd, " \t");
		end = cmd + strcspn(cmd, " \t");
		for (slash = cmd; (slash = memchr(slash, '/', end - slash));
		     cmd = ++slash)
			;
		snprintf(buf, len, "%.*s", (int)(end - cmd), cmd);
	} else if (o->n_pids == 1) {
		proc_comm(o->pids[0], buf, len);
	} else {
		buf[0] = '\0';
	}
	if (!buf[0] || !strcmp(buf, "?"))
		snprintf(buf, len, "leaktrace");
}

struct exporter *exporter_new(const struct options *o, bool process_roots)
{
	struct pyro_label labels[LT_MAX_LABELS];
	struct exporter *e = calloc(1, sizeof(*e));
	char app[64];
	int i, err;

	if (!e) {
		lt_error("out of memory");
		return NULL;
	}
	e->o = o;
	e->process_roots = process_roots;
	if (!o->pyroscope)
		return e;
	memset(labels, 0, sizeof(labels));
	if (o->app_name)
		snprintf(app, sizeof(app), "%s", o->app_name);
	else
		default_app_name(o, app, sizeof(app));
	err = app_labels(o, labels);
	if (!err)
		e->pyro = pyroscope_new(o->pyroscope, app, labels, o->n_labels);
	for (i = 0; i < o->n_labels; i++)
		free((char *)labels[i].key);
	if (!e->pyro) {
		if (err)
			lt_error("out of memory");
		free(e);
		return NULL;
	}
	return e;
}

static bool wanted(const struct options *o)
{
	return o->svg || o->svg_growth || o->pprof || o->pyroscope;
}

void exporter_report(struct exporter *e, const struct report *r)
{
	const struct options *o = e->o;
	struct profile p;
	int err;

	if (!wanted(o))
		return;
	if (o->svg_growth && !e->base.taken &&
	    r->elapsed_s * 1e9 >= (double)o->baseline_ns &&
	    baseline_take(&e->base, r))
		lt_warn("cannot keep the growth baseline: out of memory");
	err = profile_from_report(&p, r, o->svg_growth ? &e->base : NULL);
	if (err) {
		lt_warn("cannot export the report: %s", strerror(-err));
		profile_free(&p);
		return;
	}
	if (o->svg)
		write_svg(e, &p, r, false, o->svg);
	if (o->svg_growth)
		write_svg(e, &p, r, true, o->svg_growth);
	if (o->pprof)
		write_pprof(&p, o->pprof);
	if (e->pyro)
		push(e, &p, r);
	profile_free(&p);
}

void exporter_free(struct exporter *e)
{
	if (!e)
		return;
	baseline_free(&e->base);
	pyroscope_free(e->pyro);
	free(e);
}
