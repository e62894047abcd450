"""No leaks: Python allocations and object counts settle over 100k calls, error paths
included; C allocations (signers) are checked through the process's resident memory."""

import gc
import sys
import tracemalloc

import pytest

import pylon_idv
from vectors import SECRET

HASH = pylon_idv.sign("jane@example.com", SECRET)
SIGNER = pylon_idv.Signer(SECRET, previous=["00ff"])
BIG = b"y" * 8192


def _expect(exc, f, *a, **k):
    try:
        f(*a, **k)
    except exc:
        return
    raise AssertionError(f"{f} did not raise {exc}")


def one_round(i):
    """Every entry point, successes and failures."""
    e = "jane%d@example.com" % (i % 10)
    pylon_idv.sign(e, SECRET)
    pylon_idv.sign(e.encode(), SECRET.encode())
    pylon_idv.sign(bytearray(b"b"), memoryview(SECRET.encode()))
    pylon_idv.sign(email=e, secret_hex=SECRET)
    pylon_idv.sign(BIG, SECRET)
    pylon_idv.verify(e, SECRET, HASH)
    pylon_idv.verify(e, SECRET, None)
    pylon_idv.verify(e, SECRET, "\u00e9" * 64)
    pylon_idv.verify(e, SECRET, "x\ud800")
    SIGNER.sign(e)
    SIGNER.verify(e, HASH)
    SIGNER.match(e, HASH)
    SIGNER.match(memoryview(b"m"), HASH.encode())
    repr(SIGNER)
    SIGNER.fingerprint
    _expect(pylon_idv.InvalidSecretError, pylon_idv.sign, e, "abg")
    _expect(pylon_idv.InvalidSecretError, pylon_idv.sign, e, "ab\ud800")
    _expect(pylon_idv.InvalidSecretError, pylon_idv.verify, e, "", HASH)
    _expect(pylon_idv.InvalidSecretError, pylon_idv.Signer, "00ff", previous=["0"])
    _expect(TypeError, pylon_idv.sign, 1, SECRET)
    _expect(TypeError, pylon_idv.sign, e, SECRET, bogus=1)
    _expect(TypeError, pylon_idv.verify, e, SECRET, 1)
    _expect(TypeError, pylon_idv.Signer, SECRET, previous=SECRET)
    _expect(UnicodeEncodeError, pylon_idv.sign, "\udc80", SECRET)
    _expect(TypeError, pylon_idv.Signer.from_key, "str")
    _expect(TypeError, SIGNER.__reduce_ex__, 2)
    if i % 10 == 0:
        pylon_idv.Signer(SECRET, previous=[SECRET, "0011"])
        pylon_idv.Signer.from_key(b"key")
        pylon_idv.generate_secret()


def _settled_blocks(n):
    for i in range(n):
        one_round(i)
    gc.collect()
    return sys.getallocatedblocks()


def test_python_allocations_settle_over_100k_calls():
    # ~30 calls per round: 4 rounds of 1000 rounds = 120k calls, measured after a warm-up.
    _settled_blocks(1000)
    counts = [_settled_blocks(1000) for _ in range(4)]
    assert max(counts) - min(counts) < 200, counts
    objs = len(gc.get_objects())
    _settled_blocks(1000)
    assert len(gc.get_objects()) - objs < 100


def test_tracemalloc_settles():
    _settled_blocks(200)
    tracemalloc.start()
    try:
        _settled_blocks(500)
        snap1 = tracemalloc.take_snapshot()
        _settled_blocks(2000)
        snap2 = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(s.size_diff for s in snap2.compare_to(snap1, "lineno") if s.size_diff > 0)
    assert grown < 64 * 1024, grown


def _rss_kib():
    try:
        with open("/proc/self/statm") as f:
            import os
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except OSError:
        pytest.skip("no /proc/self/statm")


def test_c_signers_are_freed():
    # A leaked signer with two previous keys is about 1 KiB of malloc: 100k would be ~100 MiB.
    for _ in range(5000):
        pylon_idv.Signer(SECRET, previous=[SECRET, "0011"])
    before = _rss_kib()
    for _ in range(100_000):
        pylon_idv.Signer(SECRET, previous=[SECRET, "0011"])
        pylon_idv.Signer.from_key(b"k" * 100)
    after = _rss_kib()
    assert after - before < 8 * 1024, (before, after)
