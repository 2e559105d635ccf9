// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * An application embedding CPython through the shared libpython:
 *
 *   py_embed SCRIPT
 *
 * Py_Initialize, then PyRun_SimpleString runs SCRIPT as __main__; the
 * script follows target.h's protocol ("ready PID", SIGUSR1, one expect
 * line computed from its own code). Nothing in this executable's name or
 * symbols says "python": leaktrace has to find the interpreter by the
 * symbols of the libpython it maps.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdio.h>
#include <string.h>

#define SCRIPT_PATH_MAX 2048

/* The path goes in as hex: no quoting of whatever characters it holds. */
static int hex_path(const char *path, char *hex, size_t cap)
{
	size_t i, len = strlen(path);

	if (2 * len + 1 > cap)
		return -1;
	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", (unsigned char)path[i]);
	hex[2 * len] = '\0';
	return 0;
}

static int run_script(const char *path)
{
	char hex[2 * SCRIPT_PATH_MAX + 1], code[2 * SCRIPT_PATH_MAX + 256];

	if (hex_path(path, hex, sizeof(hex)))
		return -1;
	snprintf(code, sizeof(code),
		 "import runpy, sys\n"
		 "path = bytes.fromhex('%s').decode()\n"
		 "sys.argv = [path]\n"
		 "runpy.run_path(path, run_name='__main__')\n",
		 hex);
	return PyRun_SimpleString(code);
}

int main(int argc, char **argv)
{
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: %s SCRIPT\n", argv[0]);
		return 2;
	}
	Py_Initialize();
	rc = run_script(argv[1]);
	if (Py_FinalizeEx() < 0)
		rc = -1;
	return rc ? 1 : 0;
}
