/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The two error-pointer helpers the vendored lib/hashmap.c wants from the
 * kernel's <linux/err.h>, which Debian's headers do not ship: an error is
 * a pointer to one of the last 4095 addresses, its value -errno.
 */
#ifndef LT_COMPAT_LINUX_ERR_H
#define LT_COMPAT_LINUX_ERR_H

#include <stdbool.h>

#define LT_MAX_ERRNO 4095UL

static inline void *ERR_PTR(long err)
{
	return (void *)err;
}

static inline bool IS_ERR_OR_NULL(const void *p)
{
	return !p || (unsigned long)p >= -LT_MAX_ERRNO;
}

#endif
