/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The monotonic clock, for intervals and deadlines. */
#ifndef LT_MONOTIME_H
#define LT_MONOTIME_H

#include <stdint.h>

#define MONOTIME_NSEC_PER_SEC 1000000000ULL

/* Nanoseconds of CLOCK_MONOTONIC (never goes back, unlike the wall clock). */
uint64_t monotime_ns(void);

#endif
