// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Environment switches. */
#include <stdlib.h>
#include <string.h>

#include "lib/env.h"

bool env_flag(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0");
}
