"""Reference counts settle: valgrind_loop's rounds (every entry point, every error path) on a
debug CPython (Debian python3-dbg), whose sys.gettotalrefcount() counts every reference.

    python3-dbg tests/python/refcount_loop.py [ROUNDS_PER_SAMPLE] [--leak-control]

The extension must be built against the debug interpreter's headers (nox -s refcount
does it): with Py_DEBUG and the limited API, Py_INCREF/Py_DECREF become calls to
_Py_IncRef/_Py_DecRef, which keep the total; a release build would change ob_refcnt behind
the total's back, and the total would drift without any leak. A leaked reference per call
makes the total grow by thousands per sample; a settled one moves by a few at most.
"""

import gc
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pylon_idv  # noqa: E402
from valgrind_loop import round_  # noqa: E402

CALLS_PER_ROUND = 60
TOLERANCE = 20          # references per sample; a leak of one per call: CALLS_PER_ROUND * n
BLOCK_TOLERANCE = 200   # allocated blocks move a little with free lists and dict sizes


def sample(n, start):
    """(references, allocated blocks) gained over n rounds; 0 or near it when settled."""
    gc.collect()
    refs0, blocks0 = sys.gettotalrefcount(), sys.getallocatedblocks()
    for i in range(start, start + n):
        round_(i)
    gc.collect()
    refs1, blocks1 = sys.gettotalrefcount(), sys.getallocatedblocks()
    # refs0 and blocks0 are two int objects (one reference and one block each) that did not
    # exist when refs0 was read; refs1/blocks1 did not exist at either reading.
    return refs1 - refs0 - 2, blocks1 - blocks0 - 2


def main(argv):
    if not hasattr(sys, "gettotalrefcount"):
        print("refcount_loop: not a debug CPython (no sys.gettotalrefcount)", file=sys.stderr)
        return 2
    args = [a for a in argv[1:] if a != "--leak-control"]
    n = int(args[0]) if args else 500
    if "--leak-control" in argv:          # prove the check can fail: leak one per round
        import ctypes
        real = globals()["round_"]

        def leaky(i):
            real(i)
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(object()))
        globals()["round_"] = leaky
    so = pylon_idv._pylon_idv.__file__
    sample(n, 0)                                      # warm-up: caches, interned names
    samples = [sample(n, n * (k + 1)) for k in range(4)]
    refs = [r for r, _ in samples]
    blocks = [b for _, b in samples]
    print(f"refcount_loop: {so}")
    print(f"refcount_loop: 4 samples of {n} rounds (~{n * CALLS_PER_ROUND} calls each) after a "
          f"warm-up; references gained per sample {refs}, allocated blocks gained {blocks}")
    # A leak grows every sample (one reference a call is ~30000 a sample, and the leak control
    # below leaks 500 a sample); an interpreter cache that grows once (seen: 115 references in
    # one sample of four on Debian unstable's python3.14-dbg) grows one. So the smallest
    # sample is the measure: above the tolerance only when every sample grew.
    if min(refs) > TOLERANCE or min(blocks) > BLOCK_TOLERANCE:
        print(f"refcount_loop: FAIL: references or blocks grow in every sample (tolerance "
              f"{TOLERANCE} references, {BLOCK_TOLERANCE} blocks per sample)", file=sys.stderr)
        return 1
    print("refcount_loop: settled")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
