// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "sym/debuginfo.h"
#include "lib/log.h"
#include "sym/elffile.h"
#include "lib/monotime.h"

#define DEBUG_DIR      "/usr/lib/debug"
#define BUILD_ID_MAX   ELFFILE_BUILD_ID_MAX
#define NSEC	       MONOTIME_NSEC_PER_SEC
/* DEBUGINFOD_TIMEOUT when the user has not set one: a dead server must
 * not stall a report for the client's default 90 s. */
#define DFD_TIMEOUT    "3"
#define DFD_STALL      (3 * NSEC)  /* a query with no data coming is cut */
#define DFD_QUERY_MAX  (30 * NSEC) /* a download, however it goes */
#define DFD_BACKOFF    (60 * NSEC) /* servers failed: left alone */
#define DFD_FAILED_MAX 256	   /* build-ids not asked again */

static uint32_t file_crc(int fd)
{
	unsigned char buf[65536];
	uLong crc = crc32(0, NULL, 0);
	off_t off = 0;
	ssize_t n;

	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		crc = crc32(crc, buf, n);
		off += n;
	}
	return crc;
}

bool debuginfo_matches(int fd, const struct debug_want *w)
{
	unsigned char id[ELFFILE_BUILD_ID_MAX];
	struct elf_file f;
	struct stat st;
	bool ok = false;

	if (elffile_from_fd(fd, &f))
		return false;
	if (w->main_st && !fstat(fd, &st) && st.st_dev == w->main_st->st_dev &&
	    st.st_ino == w->main_st->st_ino)
		goto out; /* a debuglink naming the module itself */
	if (w->id_len)
		ok = elffile_build_id(f.elf, id) == w->id_len &&
		     !memcmp(id, w->id, w->id_len);
	else
		ok = file_crc(fd) == w->crc;
out:
	elffile_close(&f);
	return ok;
}

static int try_open(const char *path, const struct debug_want *w, char **found)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (!debuginfo_matches(fd, w)) {
		lt_debug("%s is not the debug file wanted", path);
		close(fd);
		return -1;
	}
	*found = strdup(path);
	if (!*found) {
		close(fd);
		return -1;
	}
	return fd;
}

static int by_build_id(const char *root, const struct debug_want *w,
		       char **found)
{
	char hex[2 * BUILD_ID_MAX + 1], path[4200];

	if (!w->id_len || w->id_len > BUILD_ID_MAX)
		return -1;
	elffile_build_id_hex(w->id, w->id_len, hex, sizeof(hex));
	snprintf(path, sizeof(path), "%s%s/.build-id/%.2s/%s.debug", root,
		 DEBUG_DIR, hex, hex + 2);
	return try_open(path, w, found);
}

/* Where gdb and elfutils look for a .gnu_debuglink name, in order. */
static int by_debuglink(const char *root, const char *path,
			const struct debug_want *w, char **found)
{
	static const char *const fmt[] = { "%s%.*s/%s", "%s%.*s/.debug/%s",
					   "%s" DEBUG_DIR "%.*s/%s" };
	const char *slash = strrchr(path, '/');
	int dir_len = slash ? (int)(slash - path) : 0;
	char cand[4200];
	size_t i;
	int fd;

	if (!w->link || !w->link[0] || strchr(w->link, '/'))
		return -1;
	for (i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		snprintf(cand, sizeof(cand), fmt[i], root, dir_len, path,
			 w->link);
		fd = try_open(cand, w, found);
		if (fd >= 0)
			return fd;
	}
	return -1;
}

int debuginfo_find_local(const char *root, const char *path,
			 const struct debug_want *w, char **found)
{
	int fd = -1;

	if (root[0])
		fd = by_build_id(root, w, found);
	if (fd < 0)
		fd = by_build_id("", w, found);
	if (fd < 0 && path && path[0] == '/')
		fd = by_debuglink(root, path, w, found);
	return fd;
}

/* ---- debuginfod ------------------------------------------------------ */

struct debuginfod_client;
typedef int (*dfd_progress_fn)(struct debuginfod_client *, long, long);

static struct {
	bool tried;
	struct debuginfod_client *client;
	struct debuginfod_client *(*begin)(void);
	int (*find)(struct debuginfod_client *, const unsigned char *, int,
		    char **);
	void (*set_progress)(struct debuginfod_client *, dfd_progress_fn);
	uint64_t start, last_progress; /* of the running query */
	long last_done;
	uint64_t down_until; /* servers failed: not asked until then */
	unsigned char failed[DFD_FAILED_MAX][BUILD_ID_MAX + 1];
	size_t n_failed;
} dfd;

/* Set in dynamically linked programs only: static ones cannot dlopen. */
extern int _DYNAMIC __attribute__((weak));

/*
 * Called about once a second during a query; non-zero cuts it off. Until
 * a server answers, total is 0 and done counts calls: no progress yet.
 */
static int dfd_progress(struct debuginfod_client *c, long done, long total)
{
	uint64_t now = monotime_ns();

	if (total && done != dfd.last_done) {
		dfd.last_done = done;
		dfd.last_progress = now;
	}
	return now - dfd.last_progress > DFD_STALL ||
	       now - dfd.start > DFD_QUERY_MAX;
}

static bool dfd_load(void)
{
	void *so;

	if (dfd.tried)
		return dfd.client;
	dfd.tried = true;
	if (!&_DYNAMIC)
		return false;
	so = dlopen("libdebuginfod.so.1", RTLD_LAZY);
	if (!so) {
		lt_debug("debuginfod: %s", dlerror());
		return false;
	}
	*(void **)&dfd.begin = dlsym(so, "debuginfod_begin");
	*(void **)&dfd.find = dlsym(so, "debuginfod_find_debuginfo");
	*(void **)&dfd.set_progress = dlsym(so, "debuginfod_set_progressfn");
	if (!dfd.begin || !dfd.find || !dfd.set_progress)
		return false;
	/* The client reads its timeout at each query. */
	setenv("DEBUGINFOD_TIMEOUT", DFD_TIMEOUT, 0);
	dfd.client = dfd.begin();
	if (dfd.client)
		dfd.set_progress(dfd.client, dfd_progress);
	return dfd.client;
}

static bool dfd_failed_before(const unsigned char *id, size_t len)
{
	size_t i, n = dfd.n_failed < DFD_FAILED_MAX ? dfd.n_failed
						    : DFD_FAILED_MAX;

	for (i = 0; i < n; i++)
		if (dfd.failed[i][0] == len &&
		    !memcmp(dfd.failed[i] + 1, id, len))
			return true;
	return false;
}

static void dfd_remember_failure(const unsigned char *id, size_t len)
{
	unsigned char *slot = dfd.failed[dfd.n_failed++ % DFD_FAILED_MAX];

	slot[0] = len;
	memcpy(slot + 1, id, len);
}

int debuginfo_fetch(const unsigned char *id, size_t id_len, char **found)
{
	char hex[2 * BUILD_ID_MAX + 1];
	uint64_t spent;
	int fd;

	*found = NULL;
	if (!id_len || id_len > BUILD_ID_MAX || !getenv("DEBUGINFOD_URLS") ||
	    dfd_failed_before(id, id_len) || !dfd_load())
		return -1;
	dfd.start = dfd.last_progress = monotime_ns();
	dfd.last_done = 0;
	if (dfd.start < dfd.down_until)
		return -1;
	fd = dfd.find(dfd.client, id, id_len, found);
	spent = monotime_ns() - dfd.start;
	elffile_build_id_hex(id, id_len, hex, sizeof(hex));
	if (fd >= 0) {
		lt_debug("debuginfod: %s in %s", hex, *found);
		return fd;
	}
	free(*found);
	*found = NULL;
	dfd_remember_failure(id, id_len);
	/* A quick "not found" is an answer; anything else: sick servers. */
	if (fd != -ENOENT || spent > NSEC)
		dfd.down_until = monotime_ns() + DFD_BACKOFF;
	lt_debug("debuginfod: %s: %s after %llu ms", hex, strerror(-fd),
		 (unsigned long long)(spent / 1000000));
	return -1;
}
