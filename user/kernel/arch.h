/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* User space's architecture header, from the Makefile's ARCH. */
#ifndef LT_ARCH_H
#define LT_ARCH_H

#if defined(LT_ARCH_x86)
#include "kernel/arch_x86.h"
#else
#error "no user/kernel/arch_<ARCH>.h for this architecture (make ARCH=...)"
#endif

#endif
