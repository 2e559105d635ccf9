# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""checksum.py [ROUNDS]: a deterministic Python allocation workload for
kill soaks (dicts, lists, strings, bytes, objects created and dropped);
prints "checksum HEX", the same traced or not."""

import hashlib
import random
import sys


class Node:
    def __init__(self, key, payload):
        self.key = key
        self.payload = payload
        self.children = []


def step(rng, live, h):
    k = rng.randrange(256)
    kind = rng.randrange(4)
    if kind == 0:
        obj = {str(i): i * k for i in range(rng.randrange(1, 64))}
        h.update(repr(sorted(obj.items())[:4]).encode())
    elif kind == 1:
        obj = [k] * rng.randrange(1, 512)
        h.update(bytes([sum(obj) % 256]))
    elif kind == 2:
        obj = ("x%d" % k) * rng.randrange(1, 200)
        h.update(obj[-8:].encode())
    else:
        obj = Node(k, bytes(rng.randrange(1, 2048)))
        obj.children = [Node(i, b"") for i in range(rng.randrange(8))]
        h.update(b"%d:%d" % (obj.key, len(obj.payload)))
    live[k] = obj


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    rng = random.Random(1234)
    live = {}
    h = hashlib.sha256()
    for _ in range(rounds):
        step(rng, live, h)
    print("checksum %s" % h.hexdigest()[:16], flush=True)


if __name__ == "__main__":
    main()
