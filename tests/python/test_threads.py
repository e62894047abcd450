"""One Signer shared by 8 threads; the GIL released for large emails."""

import hashlib
import hmac
import os
import sys
import threading
import time

import pytest

import pylon_idv

SECRET = pylon_idv.generate_secret()
KEY = bytes.fromhex(SECRET)


def ref(msg, key=KEY):
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def test_eight_threads_share_one_signer():
    old = pylon_idv.generate_secret()
    signer = pylon_idv.Signer(SECRET, previous=[old])
    errors = []
    barrier = threading.Barrier(8)

    def work(t):
        try:
            barrier.wait()
            for i in range(3000):
                email = f"user{t}-{i}@example.com".encode() * (1 + i % 5)
                want = ref(email)
                assert signer.sign(email) == want
                assert signer.verify(email, want)
                assert signer.match(email, ref(email, bytes.fromhex(old))) == 1
                assert pylon_idv.sign(email, SECRET) == want      # the stateless one-shot
                if i % 500 == 0:                                  # the GIL-released path too
                    big = os.urandom(64 * 1024)
                    assert signer.sign(big) == ref(big)
        except BaseException as e:   # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]


def test_one_shot_alternating_secrets_across_threads():
    secrets = [pylon_idv.generate_secret() for _ in range(4)]
    errors = []

    def work(t):
        try:
            for i in range(2000):
                s = secrets[(t + i) % 4]
                assert pylon_idv.sign(b"x%d" % i, s) == ref(b"x%d" % i, bytes.fromhex(s))
        except BaseException as e:   # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]


def _main_thread_ran_during(call, rounds):
    """How far this (main) thread's counter moved while another thread ran call(), each of
    rounds times: one count per round.

    The switch interval is set long (0.25 s) against calls far shorter than it, so the main
    thread gets the GIL during a call only if the call releases it: a call that holds it
    lets the counter move by exactly 0, whatever the machine's load; no clock is compared."""
    state = {"n": 0, "moved": []}
    started, done = threading.Event(), threading.Event()

    def worker():
        started.set()                           # main now waits for the GIL
        for _ in range(rounds):
            before = state["n"]
            call()
            state["moved"].append(state["n"] - before)
        done.set()

    old = sys.getswitchinterval()
    sys.setswitchinterval(0.25)
    try:
        th = threading.Thread(target=worker)
        th.start()
        started.wait()
        while not done.is_set():
            state["n"] += 1
        th.join()
    finally:
        sys.setswitchinterval(old)
    return state["moved"]


def test_gil_released_for_large_emails():
    """While another thread hashes a large email (64 MiB, tens of ms), this thread runs; for
    small emails (below 4 KiB) the GIL is kept, and the same measure shows it (the control)."""
    signer = pylon_idv.Signer(SECRET)
    big = b"x" * (64 << 20)
    for call in (lambda: signer.sign(big), lambda: pylon_idv.sign(big, SECRET),
                 lambda: signer.verify(big, "0" * 64)):
        moved = _main_thread_ran_during(call, 3)
        assert max(moved) > 0, moved            # released: the main thread counted
    small = b"x" * 100

    def many_small():
        for _ in range(2000):                   # a few ms in all: far below the interval
            signer.sign(small)
    assert _main_thread_ran_during(many_small, 3) == [0, 0, 0]   # held: not one count


def test_stress_8_threads_x_100k_calls_one_signer():
    """Issue 6: 8 threads x 100k calls on one Signer (sign, verify, match, with a previous
    secret and some GIL-released large emails), every result checked against hmac, with a
    tiny switch interval so that the threads interleave as often as the GIL allows."""
    import sys

    old = pylon_idv.generate_secret()
    old_key = bytes.fromhex(old)
    signer = pylon_idv.Signer(SECRET, previous=[old])
    n_threads, n_calls = 8, 100_000
    # Expected answers are computed once, up front, with the standard library.
    emails = [f"user{k}@example.com".encode() * (1 + k % 7) for k in range(997)]
    emails += [os.urandom(8192 + k) for k in range(3)]           # GIL released for these
    want = [ref(e) for e in emails]
    want_old = [ref(e, old_key) for e in emails]
    counts = [0] * n_threads
    errors = []
    barrier = threading.Barrier(n_threads)

    def work(t):
        try:
            barrier.wait()
            sign, verify, match = signer.sign, signer.verify, signer.match
            m = len(emails)
            done = 0
            for i in range(n_calls // 4):
                k = (i * 7 + t * 131) % m
                e = emails[k]
                if sign(e) != want[k]:
                    raise AssertionError(f"thread {t}: sign({k}) wrong")
                if not verify(e, want[k]):
                    raise AssertionError(f"thread {t}: verify({k}) false")
                if match(e, want_old[k]) != 1:
                    raise AssertionError(f"thread {t}: match({k}) not 1")
                if match(e, want[(k + 1) % m]) is not None:
                    raise AssertionError(f"thread {t}: match({k}) with another hash")
                done += 4
            counts[t] = done
        except BaseException as e:   # noqa: BLE001 - reported below
            errors.append(e)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        t0 = time.perf_counter()
        threads = [threading.Thread(target=work, args=(t,)) for t in range(n_threads)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.perf_counter() - t0
    finally:
        sys.setswitchinterval(interval)
    assert not errors, errors[:3]
    assert counts == [n_calls] * n_threads
    assert elapsed < 60, elapsed
