# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""spawn_late.py PROG [ARGS...]: print "ready PID", wait for SIGUSR1, then
start PROG by os.posix_spawn (glibc's clone with CLONE_VM | CLONE_VFORK, as
Python's subprocess and gcc's driver start their children), print
"spawned PID" and wait for it. PROG (a target run with --now) allocates at
once, in the first moments of its image: the case of a program started
after attach, before its tables are in the kernel."""
import os
import signal
import sys

signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
print("ready %d" % os.getpid(), flush=True)
signal.sigwait({signal.SIGUSR1})
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ, setsigmask=())
print("spawned %d" % pid, flush=True)
os.waitpid(pid, 0)
