/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * x86-64 specifics of the kernel side: syscall numbers and argument
 * registers, the registers of a user stack, the TLS base, and which bytes
 * end in a call instruction. Another architecture gets its own
 * bpf/arch_<ARCH>.h, chosen by bpf/arch.h from the Makefile's ARCH.
 */
#ifndef LT_ARCH_X86_H
#define LT_ARCH_X86_H

#define NR_MMAP		9
#define NR_MUNMAP	11
#define NR_BRK		12
#define NR_MREMAP	25
#define NR_RT_SIGRETURN 15

/* Syscall number and arguments at the raw syscall tracepoints. */
#define ARCH_SYSCALL_NR(regs)	BPF_CORE_READ(regs, orig_ax)
#define ARCH_SYSCALL_ARG0(regs) BPF_CORE_READ(regs, di)
#define ARCH_SYSCALL_ARG1(regs) BPF_CORE_READ(regs, si)
#define ARCH_SYSCALL_ARG2(regs) BPF_CORE_READ(regs, dx)
#define ARCH_SYSCALL_ARG3(regs) BPF_CORE_READ(regs, r10)

/* User registers saved at a syscall (CO-RE reads of struct pt_regs). */
#define ARCH_USER_IP(regs) BPF_CORE_READ(regs, ip)
#define ARCH_USER_SP(regs) BPF_CORE_READ(regs, sp)
#define ARCH_USER_FP(regs) BPF_CORE_READ(regs, bp)

/* The thread pointer glibc's struct pthread sits at. */
#define ARCH_TLS_BASE(task) BPF_CORE_READ(task, thread.fsbase)

/*
 * True when the bytes just before addr end in a call instruction, i.e. addr
 * is a plausible return address. Used to pick return addresses out of
 * stack words when frame pointers are missing.
 */
static __always_inline bool arch_follows_call(__u64 addr)
{
	__u8 b[8];

	if (addr < 4096 ||
	    bpf_probe_read_user(b, sizeof(b), (void *)(addr - 8)))
		return false;
	if (b[3] == 0xe8) /* call rel32 */
		return true;
	if (b[2] == 0xff && b[3] == 0x15) /* call *disp32(%rip) */
		return true;
	if (b[6] == 0xff && (b[7] & 0xf8) == 0xd0) /* call *%reg */
		return true;
	if (b[5] == 0xff && (b[6] & 0xf8) == 0x50) /* call *disp8(%reg) */
		return true;
	return false;
}

#endif /* LT_ARCH_X86_H */
