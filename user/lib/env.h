/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Environment switches (tests and benchmarks turn fallbacks on). */
#ifndef LT_ENV_H
#define LT_ENV_H

#include <stdbool.h>

/* NAME is set, to anything but "" or "0". */
bool env_flag(const char *name);

#endif
