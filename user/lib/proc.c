// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/proc.h"
#include "lib/procmaps.h"
#include "lib/vec.h"

static int read_small_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	return 0;
}

int proc_read_stat(pid_t pid, struct proc_stat *st)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	unsigned int flags = 0;

	memset(st, 0, sizeof(*st));
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_small_file(path, buf, sizeof(buf)))
		return -1;
	/* The state follows the last ')' (comm may contain anything). */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return -1;
	st->state = p[2];
	/* Fields 3 to 8, the flags, fields 10 to 21, then the start time. */
	if (sscanf(p + 2,
		   "%*s %*s %*s %*s %*s %*s %u %*s %*s %*s %*s %*s %*s "
		   "%*s %*s %*s %*s %*s %*s %llu",
		   &flags, &start) == 2) {
		st->flags = flags;
		st->start_time = start;
	}
	return 0;
}

bool proc_alive(pid_t pid)
{
	struct proc_stat st;

	if (proc_read_stat(pid, &st))
		return false;
	return st.state != 'Z' && st.state != 'X';
}

int proc_status_field(pid_t pid, const char *key, char *out, size_t len)
{
	size_t key_len = strlen(key);
	char path[64], line[512];
	int found = -1;
	FILE *f;

	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (found && fgets(line, sizeof(line), f)) {
		char *v = line + key_len + 1;

		if (strncmp(line, key, key_len) || line[key_len] != ':')
			continue;
		v += strspn(v, " \t");
		v[strcspn(v, "\n")] = '\0';
		snprintf(out, len, "%s", v);
		found = 0;
	}
	fclose(f);
	return found;
}

void proc_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (read_small_file(path, buf, len) || !buf[0]) {
		snprintf(buf, len, "?");
		return;
	}
	/* The kernel adds one newline; a process may put more in its name. */
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
}

int64_t proc_rss_bytes(pid_t pid)
{
	char path[64], buf[256];
	long long pages_total, pages_rss;

	snprintf(path, sizeof(path), "/proc/%d/statm", pid);
	if (read_small_file(path, buf, sizeof(buf)) ||
	    sscanf(buf, "%lld %lld", &pages_total, &pages_rss) != 2)
		return -1;
	return (int64_t)pages_rss * sysconf(_SC_PAGESIZE);
}

/*
 * Paths in /proc/PID/maps are as seen from our root: a chrooted process's
 * files show up under its root directory, which /proc/PID/root already is.
 */
static const char *strip_root(pid_t pid, const char *path)
{
	char link[64], root[4096];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/root", pid);
	n = readlink(link, root, sizeof(root) - 1);
	if (n <= 1)
		return path;
	root[n] = '\0';
	if (strncmp(path, root, n) || path[n] != '/')
		return path;
	return path + n;
}

void proc_root_path(pid_t pid, const char *path, char *out, size_t len)
{
	snprintf(out, len, "/proc/%d/root%s", pid, strip_root(pid, path));
}

static void map_files_path(pid_t pid, const struct map_entry *e, char *out,
			   size_t len)
{
	snprintf(out, len, "/proc/%d/map_files/%llx-%llx", pid,
		 (unsigned long long)e->start, (unsigned long long)e->end);
}

int proc_mapped_path(pid_t pid, const struct map_entry *e, char *out,
		     size_t len, struct stat *st)
{
	if (!e->deleted) {
		proc_root_path(pid, e->path, out, len);
		if (!stat(out, st) &&
		    procmaps_same_file(e, st->st_dev, st->st_ino))
			return 0;
	}
	map_files_path(pid, e, out, len);
	return stat(out, st) ? -errno : 0;
}

int proc_open_mapped(pid_t pid, const struct map_entry *e, char *out,
		     size_t len)
{
	struct stat st;
	int fd;

	if (!e->deleted) {
		proc_root_path(pid, e->path, out, len);
		fd = open(out, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && !fstat(fd, &st) &&
		    procmaps_same_file(e, st.st_dev, st.st_ino))
			return fd;
		if (fd >= 0)
			close(fd);
	}
	map_files_path(pid, e, out, len);
	return open(out, O_RDONLY | O_CLOEXEC);
}

static size_t add_children_of(const char *path, pid_t **out, size_t n,
			      size_t *cap)
{
	FILE *f = fopen(path, "re");
	int child;

	if (!f)
		return n;
	while (fscanf(f, "%d", &child) == 1) {
		if (VEC_ROOM(out, &n, cap))
			break;
		(*out)[n++] = child;
	}
	fclose(f);
	return n;
}

size_t proc_children(pid_t pid, pid_t **children)
{
	char dir_path[64], path[384];
	size_t n = 0, cap = 0;
	struct dirent *d;
	DIR *dir;

	*children = NULL;
	snprintf(dir_path, sizeof(dir_path), "/proc/%d/task", pid);
	dir = opendir(dir_path);
	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/children", dir_path,
			 d->d_name);
		n = add_children_of(path, children, n, &cap);
	}
	closedir(dir);
	return n;
}
