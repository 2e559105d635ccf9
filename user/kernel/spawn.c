// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wordexp.h>
#include "kernel/probes.h"
#include "kernel/spawn.h"
#include "lib/log.h"

/*
 * The child: its copies of leaktrace's pipe ends are closed first, or the
 * go pipe would keep a writer while leaktrace fails and the child would
 * wait forever (reaped by nobody once leaktrace gave up).
 */
static void run_child(char **argv, const int go[2], const int errp[2])
{
	char go_byte;
	int err;

	close(go[1]);
	close(errp[0]);
	/* Wait until the probes are in place; EOF means leaktrace failed. */
	if (read(go[0], &go_byte, 1) != 1)
		_exit(127);
	execvp(argv[0], argv);
	err = errno;
	if (write(errp[1], &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

int spawn_command(struct tracer *t)
{
	int go[2], errp[2], err;
	wordexp_t we;
	pid_t pid;

	if (wordexp(t->opts->command, &we, WRDE_NOCMD) || !we.we_wordc) {
		lt_error(
			"cannot parse -c \"%s\": give a command and its arguments",
			t->opts->command);
		return -EINVAL;
	}
	t->child_name = strdup(we.we_wordv[0]);
	if (!t->child_name || pipe2(go, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) {
		wordfree(&we);
		return t->child_name ? -errno : -ENOMEM;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		lt_error("fork: %s", strerror(-err));
		wordfree(&we);
		return err;
	}
	if (pid == 0)
		run_child(we.we_wordv, go, errp);
	wordfree(&we);
	close(go[0]);
	close(errp[1]);
	t->child = pid;
	t->child_go_fd = go[1];
	t->child_err_fd = errp[0];
	return probes_add_command(t, pid);
}

int spawn_release(struct tracer *t)
{
	int child_errno = 0;
	ssize_t n;

	if (write(t->child_go_fd, "g", 1) != 1)
		return -errno;
	close(t->child_go_fd);
	t->child_go_fd = -1;
	/* Close-on-exec makes this read return 0 once exec succeeded. */
	n = read(t->child_err_fd, &child_errno, sizeof(child_errno));
	close(t->child_err_fd);
	t->child_err_fd = -1;
	if (n == sizeof(child_errno)) {
		bool searched = !strchr(t->child_name, '/');

		lt_error("cannot run %s: %s", t->child_name,
			 searched && child_errno == ENOENT
				 ? "command not found"
				 : strerror(child_errno));
		return -child_errno;
	}
	return 0;
}

void spawn_close(struct tracer *t)
{
	if (t->child_go_fd >= 0) {
		/* Never released: it must not run (EOF tells it, SIGKILL too). */
		close(t->child_go_fd);
		if (t->child > 0)
			kill(t->child, SIGKILL);
	}
	if (t->child_err_fd >= 0)
		close(t->child_err_fd);
	t->child_go_fd = t->child_err_fd = -1;
	free(t->child_name);
	t->child_name = NULL;
}
