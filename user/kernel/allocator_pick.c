// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* allocator_pick_*: choose the module to probe and tell the user. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/allocator.h"
#include "lib/log.h"
#include "lib/proc.h"

static void say_others(const char *who, const struct allocator_module *mods,
		       const struct allocator_choice *c)
{
	int i;

	for (i = 0; i < c->n_others; i++) {
		const char *name = mods[c->others[i]].name;
		const char *pfx = c->other_prefix[i];

		lt_info("%s: mixed allocators: %s has its own %smalloc/%sfree next to %s's malloc; only %s is probed (--lib %s --symbol-prefix %s probes the other)",
			who, name, pfx, pfx, mods[c->index].name,
			mods[c->index].name, name, pfx);
	}
}

static int pick(const char *who, const struct allocator_module *mods, size_t n,
		bool load_order, bool quiet, struct allocator_pick *out)
{
	struct allocator_choice c;
	int err = allocator_choose(mods, n, load_order, &c);

	memset(out, 0, sizeof(*out));
	if (err)
		return err;
	lt_debug("%s: %s", who, c.why);
	if (!quiet)
		say_others(who, mods, &c);
	if (c.index < 0) {
		if (!quiet)
			lt_info("%s: no module defines malloc (Go or another runtime with its own allocator): heap blocks are not visible for this runtime; its mappings are traced with stacks",
				who);
		return 0;
	}
	out->found = true;
	snprintf(out->path, sizeof(out->path), "%s", mods[c.index].path);
	out->dev = mods[c.index].dev;
	out->ino = mods[c.index].ino;
	return 0;
}

int allocator_pick_process(pid_t pid, bool quiet, struct allocator_pick *out)
{
	struct allocator_module *mods = NULL;
	char who[64], comm[32];
	bool load_order;
	size_t n = 0;
	int err;

	err = allocator_modules(pid, &mods, &n, &load_order);
	if (err)
		return err;
	proc_comm(pid, comm, sizeof(comm));
	snprintf(who, sizeof(who), "process %d (%s)", pid, comm);
	err = pick(who, mods, n, load_order, quiet, out);
	free(mods);
	return err;
}

int allocator_pick_command(const char *exe, struct allocator_pick *out)
{
	struct allocator_module *mods = NULL;
	size_t n = 0;
	int err;

	err = allocator_command_modules(exe, &mods, &n);
	if (!err)
		err = pick(exe, mods, n, true, false, out);
	free(mods);
	return err;
}
