// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * python_garbage [MINOR [FREE_THREADED]]: not Python, but it defines the
 * symbols leaktrace looks for in an interpreter (_PyRuntime, Py_Version =
 * 3.MINOR, PyType_Type) over random bytes. A census must warn once, take
 * none, and neither crash nor harm the process. FREE_THREADED 1: the
 * runtime starts with the _Py_DebugOffsets head of a free-threaded 3.13
 * build (cookie, version, free_threaded = 1), which leaktrace must refuse
 * in one line. Leaks one known block so the report has the process.
 */
#include <sys/random.h>
#include "target.h"

#define USAGE "[MINOR (11)] [FREE_THREADED (0)]"
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
	long long minor, free_threaded;

	lt_parse("python_garbage", argc, argv, USAGE);
	minor = lt_arg(0, 11, 8, USAGE);
	free_threaded = lt_arg(1, 0, 0, USAGE);
	fill_random(_PyRuntime, sizeof(_PyRuntime));
	if (free_threaded) {
		/* _Py_DebugOffsets: cookie, version (PY_VERSION_HEX), and
		 * free_threaded, as a --disable-gil build has them. */
		uint64_t head[3] = { 0, 0, 1 };

		memcpy(head, "xdebugpy", 8);
		head[1] = 0x030000f0ull | (uint64_t)minor << 16;
		memcpy(_PyRuntime, head, sizeof(head));
	}
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
