// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/log.h"
#include "lib/proc.h"
#include "lib/vec.h"
#include "core/procs.h"
#include "python/census.h"
#include "python/python.h"
#include "sym/symbolize.h"
#include "sym/symcache.h"

static struct traced_proc *find(struct proc_table *t, pid_t pid)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->procs[i]->pid == pid)
			return t->procs[i];
	return NULL;
}

/*
 * Each entry has its own allocation: callers (a report being built, an
 * event handler) keep pointers while new processes are added.
 */
static struct traced_proc *append(struct proc_table *t)
{
	struct traced_proc *p;

	if (VEC_ROOM(&t->procs, &t->n, &t->cap))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (p)
		t->procs[t->n++] = p;
	return p;
}

/* A CPython interpreter may show up late (-c, or a launcher that execs). */
static void detect_python(struct traced_proc *p)
{
	struct py_interp interp;
	int found;

	if (p->py || p->py_unsupported)
		return;
	found = py_detect(p->pid, &interp);
	if (found == -ENOTSUP) {
		lt_warn("pid %d runs Python %d.%d, which leaktrace does not decode (3.8 to 3.13): native stacks only",
			p->pid, interp.major, interp.minor);
		p->py_unsupported = true;
		return;
	}
	if (found != 1)
		return;
	p->py = py_decoder_new(p->pid, &interp);
	if (!p->py)
		return;
	py_fill_config(&interp, &p->py_config);
	p->py_minor = interp.minor;
	snprintf(p->py_path, sizeof(p->py_path), "%s", interp.path);
	p->py_routes = py_routes_objects(p->pid, &interp);
	p->py_new = true;
	lt_debug("pid %d: CPython %d.%d in %s", p->pid, interp.major,
		 interp.minor, interp.path);
}

struct traced_proc *procs_get(struct proc_table *t, pid_t pid, bool create)
{
	struct traced_proc *p = find(t, pid);

	if (p || !create)
		return p;
	p = append(t);
	if (!p)
		return NULL;
	p->pid = pid;
	proc_comm(pid, p->comm, sizeof(p->comm));
	p->rss_at_attach = proc_rss_bytes(pid);
	p->rss = p->rss_at_attach;
	if (!t->symcache)
		t->symcache = symcache_new();
	p->sym = t->symcache ? symbolizer_new(t->symcache, pid) : NULL;
	if (p->sym)
		symbolizer_refresh(p->sym);
	p->exited = !proc_alive(pid);
	if (!p->exited)
		detect_python(p);
	return p;
}

void procs_refresh_modules(struct proc_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		struct traced_proc *p = t->procs[i];

		if (!p->modules_stale || p->exited)
			continue;
		p->modules_stale = false;
		if (p->sym)
			symbolizer_refresh(p->sym);
		/* An exec gives the process a new name too. */
		proc_comm(p->pid, p->comm, sizeof(p->comm));
		detect_python(p);
	}
}

void procs_remove(struct proc_table *t, pid_t pid)
{
	size_t i;

	for (i = 0; i < t->n && t->procs[i]->pid != pid; i++)
		;
	if (i == t->n)
		return;
	symbolizer_free(t->procs[i]->sym);
	py_decoder_free(t->procs[i]->py);
	census_free(t->procs[i]->census);
	free(t->procs[i]);
	t->procs[i] = t->procs[--t->n];
}

void procs_free(struct proc_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		symbolizer_free(t->procs[i]->sym);
		py_decoder_free(t->procs[i]->py);
		census_free(t->procs[i]->census);
		free(t->procs[i]);
	}
	symcache_free(t->symcache);
	free(t->procs);
	memset(t, 0, sizeof(*t));
}
