// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * python_garbage [MINOR]: not Python, but it defines the symbols leaktrace
 * looks for in an interpreter (_PyRuntime, Py_Version = 3.MINOR,
 * PyType_Type) over random bytes. A census must warn once, take none, and
 * neither crash nor harm the process. Leaks one known block so the report
 * has the process. Named python* as leaktrace finds interpreters by name.
 */
#include <sys/random.h>
#include "target.h"

#define USAGE "[MINOR (11)]"
#define BLOCK 4096

unsigned char _PyRuntime[1 << 16];
unsigned char PyType_Type[1024];
uint32_t Py_Version;

static void *volatile kept;

LT_LEAKFN void leak_one(void)
{
	kept = malloc(BLOCK);
}

static void fill_random(unsigned char *p, size_t len)
{
	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n <= 0)
			continue;
		p += n;
		len -= (size_t)n;
	}
}

int main(int argc, char **argv)
{
	long long minor;

	lt_parse("python_garbage", argc, argv, USAGE);
	minor = lt_arg(0, 11, 8, USAGE);
	fill_random(_PyRuntime, sizeof(_PyRuntime));
	fill_random(PyType_Type, sizeof(PyType_Type));
	Py_Version = 0x03000000u | (uint32_t)minor << 16 | 0xf0;
	lt_setup();
	lt_wait_go();
	leak_one();
	lt_check(kept != NULL, "malloc returned NULL");
	{
		struct lt_expect e[] = { { "leak_one", "heap", BLOCK, 1 } };

		lt_report(e, LT_ARRAY_SIZE(e));
	}
	lt_finish();
}
