// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* allocator_command_modules: the modules a command will load. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kernel/allocator.h"

#define LIST_MAX (256 * 1024)

/* The program interpreter (PT_INTERP) of exe, "" when static. */
static int read_interp(const char *exe, char *out, size_t len)
{
	int fd = open(exe, O_RDONLY | O_CLOEXEC), err = -ENOEXEC;
	size_t i, nphdr;
	Elf *elf;

	out[0] = '\0';
	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF && !elf_getphdrnum(elf, &nphdr)) {
		err = 0;
		for (i = 0; i < nphdr; i++) {
			GElf_Phdr ph;

			if (!gelf_getphdr(elf, i, &ph) ||
			    ph.p_type != PT_INTERP || !ph.p_filesz ||
			    ph.p_filesz >= len)
				continue;
			if (pread(fd, out, ph.p_filesz, ph.p_offset) !=
			    (ssize_t)ph.p_filesz)
				err = -EIO;
			out[ph.p_filesz - 1] = '\0';
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

/* Run "INTERP --list EXE" and collect its output (bounded). */
static char *run_list(const char *interp, const char *exe)
{
	int p[2], status;
	char *buf = malloc(LIST_MAX + 1);
	size_t used = 0;
	ssize_t r;
	pid_t pid;

	if (!buf || pipe2(p, O_CLOEXEC)) {
		free(buf);
		return NULL;
	}
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(p[1], 1);
		if (null >= 0)
			dup2(null, 2);
		execl(interp, interp, "--list", exe, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (pid > 0 && used < LIST_MAX &&
	       (r = read(p[0], buf + used, LIST_MAX - used)) > 0)
		used += r;
	close(p[0]);
	if (pid > 0) {
		kill(pid, SIGKILL); /* done or too long */
		waitpid(pid, &status, 0);
	}
	buf[used] = '\0';
	return buf;
}

/* "\tlibx.so => /path/libx.so (0x...)" or "\t/path/ld.so (0x...)". */
static bool list_line_path(char *line, char **path)
{
	char *arrow = strstr(line, "=> "), *p, *end;

	p = arrow ? arrow + 3 : line + strspn(line, " \t");
	if (*p != '/')
		return false;
	end = strstr(p, " (0x");
	if (end)
		*end = '\0';
	*path = p;
	return true;
}

static int push(struct allocator_module **v, size_t *n, const char *path,
		bool executable)
{
	struct allocator_module *m;
	struct stat st;
	void *grown;

	if (stat(path, &st))
		return 0; /* "not found": the loader will fail on it too */
	grown = realloc(*v, (*n + 1) * sizeof(**v));
	if (!grown)
		return -ENOMEM;
	*v = grown;
	m = &(*v)[(*n)++];
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", path);
	snprintf(m->path, sizeof(m->path), "%s", path);
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	m->executable = executable;
	return 0;
}

/* The file execvp would run for cmd. */
static int search_path(const char *cmd, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;

	if (strchr(cmd, '/')) {
		snprintf(out, len, "%s", cmd);
		return access(out, X_OK) ? -errno : 0;
	}
	copy = strdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	if (!copy)
		return -ENOMEM;
	for (dir = strtok_r(copy, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", *dir ? dir : ".", cmd);
		if (!access(out, X_OK)) {
			free(copy);
			return 0;
		}
	}
	free(copy);
	return -ENOENT;
}

int allocator_command_modules(const char *cmd, struct allocator_module **mods,
			      size_t *n)
{
	char interp[PATH_MAX] = "", exe[PATH_MAX], *out, *line, *save = NULL,
	     *path;
	int err;

	*mods = NULL;
	*n = 0;
	err = search_path(cmd, exe, sizeof(exe));
	if (!err)
		err = read_interp(exe, interp, sizeof(interp));
	if (!err)
		err = push(mods, n, exe, true);
	if (err || !interp[0])
		return err;
	out = run_list(interp, exe);
	if (!out)
		return -ENOMEM;
	for (line = strtok_r(out, "\n", &save); line && !err;
	     line = strtok_r(NULL, "\n", &save))
		if (list_line_path(line, &path))
			err = push(mods, n, path, false);
	free(out);
	return err;
}
