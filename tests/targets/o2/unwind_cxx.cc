// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * unwind_cxx: C++ leaks through operator new, std::vector, std::string and
 * std::map, built -O2 without frame pointers, with templates and inlining
 * (the standard library's own frames are partly inlined into ours).
 */
#include <map>
#include <string>
#include <vector>

#include "../target.h"

#define USAGE ""

struct Widget {
	long payload[53]; /* 424 bytes */
};

static std::vector<void *> kept;

/* A template the compiler inlines into each caller. */
template <typename T> static inline T *make_one()
{
	return new T();
}

LT_LEAKFN void fill_widget()
{
	kept.push_back(make_one<Widget>());
}

LT_LEAKFN void grow_vector()
{
	auto *v = new std::vector<long>; /* 24 bytes */

	v->reserve(611); /* 4888 bytes */
	kept.push_back(v);
}

LT_LEAKFN void make_string()
{
	kept.push_back(new std::string(999, 'y')); /* 32 + 1000 bytes */
}

typedef std::map<int, long> Table;
typedef std::_Rb_tree_node<Table::value_type> TableNode;

LT_LEAKFN void fill_map()
{
	auto *m = new Table; /* 48 bytes */

	for (int i = 0; i < 3; i++)
		(*m)[i * 7] = i; /* a node each */
	kept.push_back(m);
}

LT_LEAKFN void request()
{
	fill_widget();
	grow_vector();
	make_string();
	fill_map();
}

int main(int argc, char **argv)
{
	lt_parse("unwind_cxx", argc, argv, USAGE);
	kept.reserve(64);
	lt_setup();
	lt_wait_go();
	request();
	struct lt_expect e[] = {
		{ "fill_widget", "heap", (long long)sizeof(Widget), 1 },
		{ "grow_vector", "heap", 611 * (long long)sizeof(long), 1 },
		{ "make_string", "heap", 1000, 1 },
		{ "fill_map", "heap", 3 * (long long)sizeof(TableNode), 3 },
	};
	lt_report(e, 4);
	lt_finish();
}
