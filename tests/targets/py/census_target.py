# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Ground truth for --objects (same protocol as target.h).

Before "ready PID": BASE instances of Base, then gc.freeze() (they sit on
the permanent list). First SIGUSR1: instances of Plain (held by the module
global `registry`), Slotted (__slots__, in a dict), Cyclic (pairs in
reference cycles), Nested (4 levels of lists), ClosureHeld (held only by a
closure cell), Keyed (in the class attribute dict Registry.by_key); Dropped instances are made and dropped, cycles included,
then gc.collect(); prints {"phase": 1, "counts": {...}, "holders": {...}}
(the container holding each kept class, as --objects must name it, and
how many of them it holds). Second SIGUSR1:
ADDED more Plain and another Dropped round; prints the expect line with
the counts this process computes from its own objects (gc.get_objects()).
Then quiet until SIGTERM. Runs on CPython 3.8 to 3.13.
"""
import gc
import json
import os
import signal
import sys

BASE, PLAIN, SLOTTED, CYCLIC, NESTED, CLOSURE, KEYED, DROPPED, ADDED = (
    50, 1234, 321, 200, 77, 99, 150, 5000, 47)


class Base:
    pass


class Plain:
    pass


class Slotted:
    __slots__ = ("a", "b")


class Cyclic:
    def __init__(self):
        self.other = None


class Nested:
    pass


class ClosureHeld:
    pass


class Keyed:
    pass


class Registry:
    by_key = {}


class Dropped:
    def __init__(self):
        self.me = self  # a cycle: only the collector frees it


base = [Base() for _ in range(BASE)]
registry = []
by_name = {}
pairs = ()
nested = []
holder = None


def closure_over(items):
    return lambda: len(items)


def phase1():
    global pairs, holder
    registry.extend(Plain() for _ in range(PLAIN))
    for i in range(SLOTTED):
        by_name["s%d" % i] = Slotted()
    made = []
    for _ in range(CYCLIC // 2):
        a, b = Cyclic(), Cyclic()
        a.other, b.other = b, a
        made.append(a)
    pairs = tuple(made)
    nested.append([[[Nested() for _ in range(NESTED)]]])
    holder = closure_over([ClosureHeld() for _ in range(CLOSURE)])
    for i in range(KEYED):
        Registry.by_key["k%d" % i] = Keyed()


def drop_some():
    junk = [Dropped() for _ in range(DROPPED)]
    del junk
    gc.collect()


def truth():
    """Counts by type name, from this process's own GC lists."""
    names = ("Base", "Plain", "Slotted", "Cyclic", "Nested", "ClosureHeld",
             "Keyed", "Dropped")
    counts = dict.fromkeys(names, 0)
    for o in gc.get_objects():
        n = type(o).__name__
        if n in counts and type(o).__module__ == __name__:
            counts[n] += 1
    # gc.get_objects() leaves out the permanent list gc.freeze() filled.
    counts["Base"] += sum(1 for o in base if type(o) is Base)
    return counts


def held(container, cls):
    """How many instances of cls the container holds (values of a dict)."""
    items = container.values() if isinstance(container, dict) else container
    return sum(1 for o in items if type(o) is cls)


def holders():
    """[kept class, holder name or None, container type, references,
    containers]: how --objects must sum them up."""
    cell = holder.__closure__[0].cell_contents
    partners = sum(1 for p in pairs for o in (p, p.other)
                   if type(o.other) is Cyclic)
    return [
        ["Plain", "%s.registry" % __name__, "list", held(registry, Plain), 1],
        ["Slotted", "%s.by_name" % __name__, "dict",
         held(by_name, Slotted), 1],
        ["Keyed", "%s.Registry.by_key" % __name__, "dict",
         held(Registry.by_key, Keyed), 1],
        ["ClosureHeld", None, "list", held(cell, ClosureHeld), 1],
        ["Cyclic", "%s.pairs" % __name__, "tuple", held(pairs, Cyclic), 1],
        # Each holds its partner in an attribute: in the instance's dict
        # up to 3.10, in the instance itself (values) from 3.11.
        ["Cyclic", None, "Cyclic" if sys.version_info >= (3, 11) else "dict",
         partners, partners],
    ]


def wait_go():
    signal.sigwait([signal.SIGUSR1])


def main():
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
    gc.collect()
    gc.freeze()
    print("ready %d" % os.getpid(), flush=True)
    wait_go()
    phase1()
    drop_some()
    print(json.dumps({"phase": 1, "counts": truth(), "holders": holders()}),
          flush=True)
    wait_go()
    registry.extend(Plain() for _ in range(ADDED))
    drop_some()
    print(json.dumps({"target": "census_target", "expect": truth(),
                      "added": {"Plain": ADDED}, "holders": holders(),
                      "version": "%d.%d" % sys.version_info[:2]}),
          flush=True)
    while True:
        signal.pause()


main()
