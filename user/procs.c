// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include <string.h>
#include "proc.h"
#include "procs.h"
#include "symbolize.h"
#include "symcache.h"

static struct traced_proc *find(struct proc_table *t, pid_t pid)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->procs[i].pid == pid)
			return &t->procs[i];
	return NULL;
}

static struct traced_proc *append(struct proc_table *t)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct traced_proc *p = realloc(t->procs, cap * sizeof(*p));

		if (!p)
			return NULL;
		t->procs = p;
		t->cap = cap;
	}
	memset(&t->procs[t->n], 0, sizeof(t->procs[0]));
	return &t->procs[t->n++];
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
	return p;
}

void procs_refresh_modules(struct proc_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		struct traced_proc *p = &t->procs[i];

		if (!p->modules_stale || p->exited)
			continue;
		p->modules_stale = false;
		if (p->sym)
			symbolizer_refresh(p->sym);
		/* An exec gives the process a new name too. */
		proc_comm(p->pid, p->comm, sizeof(p->comm));
	}
}

void procs_remove(struct proc_table *t, pid_t pid)
{
	struct traced_proc *p = find(t, pid);

	if (!p)
		return;
	symbolizer_free(p->sym);
	*p = t->procs[--t->n];
}

void procs_free(struct proc_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		symbolizer_free(t->procs[i].sym);
	symcache_free(t->symcache);
	free(t->procs);
	memset(t, 0, sizeof(*t));
}
