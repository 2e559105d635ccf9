/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The kernel side's architecture header, from the Makefile's ARCH. */
#ifndef LT_ARCH_H
#define LT_ARCH_H

#if defined(__TARGET_ARCH_x86)
#include "arch_x86.h"
#else
#error "no bpf/arch_<ARCH>.h for this architecture"
#endif

#endif /* LT_ARCH_H */
