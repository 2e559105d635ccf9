// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Trace event ids from tracefs, mounted privately when it is not. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel/tracefs.h"

#define TRACEFS_DIR "/sys/kernel/tracing"

static const char *const tracefs_roots[] = {
	TRACEFS_DIR,
	"/sys/kernel/debug/tracing",
};

/* The id in ROOT/events/CATEGORY/NAME/id; only syscalls, no stdio. */
static int read_event_id(const char *root, const char *category,
			 const char *name)
{
	char path[PATH_MAX], buf[24];
	ssize_t len;
	long id;
	char *end;
	int fd;

	if (snprintf(path, sizeof(path), "%s/events/%s/%s/id", root, category,
		     name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -EINVAL;
	buf[len] = 0;
	id = strtol(buf, &end, 10);
	if (end == buf || (*end && *end != '\n') || id <= 0 || id > INT_MAX)
		return -EINVAL;
	return (int)id;
}

static int read_ids(const char *root, const char *category,
		    const char *const *names, size_t n, int *ids)
{
	for (size_t i = 0; i < n; i++) {
		ids[i] = read_event_id(root, category, names[i]);
		if (ids[i] < 0)
			return ids[i];
	}
	return 0;
}

/* In the child: tracefs in a mount namespace of its own, ids to fd. */
static void child_read_ids(int fd, const char *category,
			   const char *const *names, size_t n, int *ids)
{
	int err = 0;

	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tracefs", TRACEFS_DIR, "tracefs", 0, NULL))
		err = -errno;
	if (!err)
		err = read_ids(TRACEFS_DIR, category, names, n, ids);
	if (write(fd, &err, sizeof(err)) == sizeof(err) && !err &&
	    write(fd, ids, n * sizeof(*ids)) == (ssize_t)(n * sizeof(*ids)))
		_exit(0);
	_exit(1);
}

static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t r = read(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EIO;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static int private_mount_ids(const char *category, const char *const *names,
			     size_t n, int *ids)
{
	int fds[2], err, status;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (pid == 0) {
		close(fds[0]);
		child_read_ids(fds[1], category, names, n, ids);
	}
	close(fds[1]);
	err = read_all(fds[0], &status, sizeof(status));
	if (!err)
		err = status ? status : read_all(fds[0], ids, n * sizeof(*ids));
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return err;
}

int tracefs_event_ids(const char *category, const char *const *names, size_t n,
		      int *ids)
{
	int err = -ENOENT;

	for (size_t i = 0; i < sizeof(tracefs_roots) / sizeof(*tracefs_roots);
	     i++) {
		err = read_ids(tracefs_roots[i], category, names, n, ids);
		if (!err)
			return 0;
	}
	return private_mount_ids(category, names, n, ids);
}
