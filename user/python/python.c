// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sym/elfsym.h"
#include "lib/proc.h"
#include "lib/procmaps.h"
#include "python/python.h"
#include "lib/target_mem.h"
#include "lib/log.h"

#define NO LT_PY_NO_OFFSET

/* glibc 2.28-2.38: offset of specific_1stblock in struct pthread. */
#define GLIBC_PTHREAD_SPECIFIC 0x310

/* Offsets verified against the interpreters (see the shared notes). */
static const struct py_layout layouts[] = {
	{ 8,  1392, 24, NO,  24,  32, 104, NO, 112, false,
	  16, 36,   40, 104, 112, NO, 120, NO, 48,  72 },
	{ 9,  584, 24, NO,  24,	 32, 104, NO, 112, false,
	  16, 36,  40, 104, 112, NO, 120, NO, 48,  72 },
	{ 10, 584, 24, NO,  24,	 32, 96,  NO, 104, false,
	  16, 36,  40, 104, 112, NO, 120, NO, 48,  72 },
	{ 11, 592, 56, 8,   48,	 32,  56,  69,	72, true,
	  56, 48,  72, 112, 120, 128, 136, 184, 48, 72 },
	{ 12, 1544, 56, 0,   8,	  0,   56,  70,	 72, true,
	  52, 48,   68, 112, 120, 128, 136, 192, 40, 56 },
	{ 13, 2160, 72, NO,  8,	  0,   56,  70,	 72, true,
	  52, 48,   68, 112, 120, 128, 136, 200, 40, 56 },
};

const struct py_layout *py_layout_for(int minor)
{
	size_t i;

	for (i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		if (layouts[i].minor == minor)
			return &layouts[i];
	return NULL;
}

bool py_routes_objects(pid_t pid, const struct py_interp *interp)
{
	char path[4200];

	proc_root_path(pid, interp->path, path, sizeof(path));
	return elf_count_calls(path, "PyUnicode_New", "PyObject_Malloc") > 0;
}

void py_fill_config(const struct py_interp *interp, struct lt_py_config *c)
{
	const struct py_layout *l = interp->layout;

	memset(c, 0, sizeof(*c));
	/* Py_tss_t is {int _is_initialized; pthread_key_t _key}. */
	c->tss_addr = interp->runtime + l->runtime_tss;
	c->pthread_specific = GLIBC_PTHREAD_SPECIFIC;
	c->tstate_frame = l->tstate_frame;
	c->cframe_frame = l->cframe_frame;
	c->frame_back = l->frame_back;
	c->frame_code = l->frame_code;
	c->frame_pos = l->frame_pos;
	c->frame_owner = l->frame_owner;
	c->frame_size = l->frame_size;
	c->pos_is_pointer = l->pos_is_pointer;
	c->pos_is_int = !l->pos_is_pointer;
}

/*
 * Modules known not to hold an interpreter (no _PyRuntime), by file: the
 * interpreter is found by its symbols, never by its file name (renamed or
 * embedded interpreters, uwsgi), and each library is read once.
 */
#define NOT_PYTHON_MAX 512
static struct {
	uint64_t ino;
	uint32_t major, minor;
} not_python[NOT_PYTHON_MAX];
static size_t n_not_python;

static bool known_not_python(const struct map_entry *e)
{
	size_t i;

	for (i = 0; i < n_not_python; i++)
		if (not_python[i].ino == e->inode &&
		    not_python[i].major == e->dev_major &&
		    not_python[i].minor == e->dev_minor)
			return true;
	return false;
}

static void remember_not_python(const struct map_entry *e)
{
	size_t i = n_not_python < NOT_PYTHON_MAX ? n_not_python++
						 : e->inode % NOT_PYTHON_MAX;

	not_python[i].ino = e->inode;
	not_python[i].major = e->dev_major;
	not_python[i].minor = e->dev_minor;
}

/* "python3.11", "libpython3.12.so.1.0" -> 3, 11. */
static int version_from_name(const char *path, int *major, int *minor)
{
	const char *p = strrchr(path, '/');

	p = strstr(p ? p : path, "python");
	if (!p || sscanf(p, "python%d.%d", major, minor) != 2)
		return -ENOENT;
	return 0;
}

/* "libpython3.13t.so.1.0", "python3.13t": the t ABI flag. */
static bool free_threaded_name(const char *path)
{
	const char *p = strrchr(path, '/');
	int major, minor, end = 0;

	p = strstr(p ? p : path, "python");
	return p && sscanf(p, "python%d.%d%n", &major, &minor, &end) == 2 &&
	       end > 0 && p[end] == 't';
}

/* 3.13+: _Py_DebugOffsets at the start of _PyRuntime says so. */
static bool free_threaded_runtime(pid_t pid, uint64_t runtime)
{
	struct {
		char cookie[8];
		uint64_t version, free_threaded;
	} d = { { 0 }, 0, 0 };

	return !target_read(pid, runtime, &d, sizeof(d)) &&
	       !memcmp(d.cookie, "xdebugpy", 8) && d.free_threaded;
}

/* Said once per process: py_detect runs again on later events. */
static void warn_free_threaded(pid_t pid, const struct py_interp *in)
{
	static pid_t warned[256];
	static size_t next;
	size_t i;

	for (i = 0; i < sizeof(warned) / sizeof(warned[0]); i++)
		if (warned[i] == pid)
			return;
	warned[next++ % (sizeof(warned) / sizeof(warned[0]))] = pid;
	lt_warn("pid %d runs a free-threaded CPython %d.%d (%s), which leaktrace does not support: native stacks only, no Python frames or --objects",
		pid, in->major, in->minor, in->path);
}

/* Py_Version (3.11+) is the running interpreter's own word. */
static int version_from_memory(pid_t pid, uint64_t addr, int *major, int *minor)
{
	uint32_t v;

	if (!addr || target_read(pid, addr, &v, sizeof(v)))
		return -ENOENT;
	*major = v >> 24;
	*minor = (v >> 16) & 0xff;
	return 0;
}

static int probe_module(pid_t pid, const struct map_entry *e,
			struct py_interp *interp)
{
	static const char *const names[] = { "_PyRuntime", "Py_Version",
					     "PyCode_Type", "PyUnicode_Type",
					     "PyBytes_Type" };
	char path[4200];
	uint64_t addr[5], bias;
	struct stat st;

	/* The file mapped, not one put at its path since (dev, inode). */
	if (proc_mapped_path(pid, e, path, sizeof(path), &st))
		return 0;
	if (elf_symbol_addresses(path, names, 5, addr))
		return 0; /* unreadable now: try again next time */
	if (!addr[0]) {
		remember_not_python(e);
		return 0;
	}
	if (elf_load_bias(path, e->start, e->offset, &bias))
		return 0;
	snprintf(interp->path, sizeof(interp->path), "%s", e->path);
	interp->runtime = addr[0] + bias;
	interp->code_type = addr[2] ? addr[2] + bias : 0;
	interp->unicode_type = addr[3] ? addr[3] + bias : 0;
	interp->bytes_type = addr[4] ? addr[4] + bias : 0;
	if (version_from_memory(pid, addr[1] ? addr[1] + bias : 0,
				&interp->major, &interp->minor) &&
	    version_from_name(e->path, &interp->major, &interp->minor))
		interp->major = interp->minor = 0;
	/* Another object header and no GC lists: none of the offsets hold. */
	if (free_threaded_name(e->path) ||
	    free_threaded_runtime(pid, interp->runtime)) {
		warn_free_threaded(pid, interp);
		return -EPROTONOSUPPORT;
	}
	interp->layout =
		interp->major == 3 ? py_layout_for(interp->minor) : NULL;
	return interp->layout ? 1 : -ENOTSUP;
}

int py_detect(pid_t pid, struct py_interp *interp)
{
	struct map_entry *maps = NULL;
	size_t i, n = 0;
	int found = 0;

	memset(interp, 0, sizeof(*interp));
	if (procmaps_read(pid, &maps, &n))
		return 0;
	for (i = 0; i < n && !found; i++) {
		const struct map_entry *e = &maps[i];

		/* The executable comes first; then libpython, if any. */
		if (!e->executable || !e->inode || e->path[0] != '/' ||
		    known_not_python(e))
			continue;
		found = probe_module(pid, e, interp);
	}
	free(maps);
	/* Free-threaded: said above; to callers, not a Python they read. */
	return found == -EPROTONOSUPPORT ? 0 : found;
}
