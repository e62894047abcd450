"""bench_python.py -- the Python binding against what Python users write instead.

    python bench/bench_python.py [--quick] [--rounds N] [--target-ms MS]

Rows (20-byte str email, 32-byte key, as in issue 5):
  pylon_idv.sign                one-shot, the secret as hex text
  Signer.sign                   the secret decoded once
  seed snippet                  hmac.new(bytes.fromhex(secret), email.encode(), hashlib.sha256).hexdigest()
  hmac.digest                   hmac.digest(bytes.fromhex(secret), email.encode(), "sha256").hex()
  stdlib precomputed            h0 = hmac.new(key, digestmod=hashlib.sha256) once; h0.copy() per call
  pyca precomputed              cryptography's HMAC(key, SHA256()) once; .copy() per call (if importable)
  floor: sign shape             bench/floor_py.c: the stateless C floor (the secret decoded,
                                four SHA-NI compressions, hex) behind the binding's call shell
  floor: Signer.sign shape      the C floor (two SHA-NI compressions in registers + SIMD
                                hex) behind the binding's own call shell
                                (METH_FASTCALL, arguments read as UTF-8, a new 64-digit str): what
                                any binding's sign / Signer.sign cannot go below here

Each row is a statement string timed by timeit.Timer(stmt, globals=...), so no lambda or call
overhead of ours is added. Rows are interleaved round by round (so drift and noise hit every
row alike) and the table gives the median ns/call over rounds, and ratios against the seed
snippet and pyca: for each round the ratio of the two rows' times in that round, then the
median over rounds (this machine's speed drifts by tens of percent from second to second;
within one round both rows see the same machine). Then, unless --quick, instructions per call
under callgrind, the stable second figure.

Large inputs: two threads each signing a 1 MiB bytes email N times, against one thread doing
the same total work; with the GIL released the two threads take about half the time on two
cores (scaling ~2x).
"""

import argparse
import hashlib
import hmac
import os
import statistics
import sys
import threading
import time
import timeit

import pylon_idv

_floor_dir = os.environ.get("PYLON_IDV_FLOOR_DIR")
if _floor_dir:                      # bench_python.sh builds it; run by hand, the rows are left out
    sys.path.insert(0, _floor_dir)
    import _pylon_idv_floor
else:                               # pragma: no cover
    _pylon_idv_floor = None

SECRET = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812"   # 32 bytes
EMAIL = "jane.doe@example.com"                                                # 20 bytes
assert len(bytes.fromhex(SECRET)) == 32 and len(EMAIL.encode()) == 20

try:
    from cryptography.hazmat.primitives import hashes as _c_hashes
    from cryptography.hazmat.primitives import hmac as _c_hmac
except ImportError:          # pragma: no cover - depends on the machine
    _c_hmac = None


def rows():
    """(label, statement, globals) for every row that can run here."""
    key = bytes.fromhex(SECRET)
    g = {
        "pylon_idv": pylon_idv, "hmac": hmac, "hashlib": hashlib,
        "secret": SECRET, "email": EMAIL,
        "signer": pylon_idv.Signer(SECRET),
        "h0": hmac.new(key, digestmod=hashlib.sha256),
    }
    out = [
        ("`pylon_idv.sign`", "pylon_idv.sign(email, secret)"),
        ("`Signer.sign`", "signer.sign(email)"),
        ("seed snippet `hmac.new(bytes.fromhex(secret), email.encode(), hashlib.sha256).hexdigest()`",
         "hmac.new(bytes.fromhex(secret), email.encode(), hashlib.sha256).hexdigest()"),
        ("`hmac.digest(bytes.fromhex(secret), email.encode(), \"sha256\").hex()`",
         "hmac.digest(bytes.fromhex(secret), email.encode(), 'sha256').hex()"),
        ("stdlib precomputed `h0.copy()`",
         "h = h0.copy(); h.update(email.encode()); h.hexdigest()"),
    ]
    if _pylon_idv_floor is not None:
        _pylon_idv_floor.setup(SECRET, EMAIL)
        g["floor"] = _pylon_idv_floor
        out.append(("floor: sign shape `floor.sign(email, secret)`", "floor.sign(email, secret)"))
        out.append(("floor: Signer.sign shape `floor.sign1(email)`", "floor.sign1(email)"))
    if _c_hmac is not None:
        g["p0"] = _c_hmac.HMAC(key, _c_hashes.SHA256())
        out.append(("pyca/cryptography precomputed `.copy()`",
                    "p = p0.copy(); p.update(email.encode()); p.finalize().hex()"))
    return [(label, stmt, g) for label, stmt in out]


def check(rows_):
    """Every row computes the same hash (an expression version of each statement)."""
    want = hmac.new(bytes.fromhex(SECRET), EMAIL.encode(), hashlib.sha256).hexdigest()
    for label, stmt, g in rows_:
        ns = dict(g)
        exec(stmt.replace("h.hexdigest()", "_r = h.hexdigest()")
                 .replace("p.finalize().hex()", "_r = p.finalize().hex()")
             if ";" in stmt else "_r = " + stmt, ns)
        if ns["_r"] != want:
            sys.exit(f"bench_python: row {label} computed {ns['_r']!r}, expected {want!r}")


def calibrate(timer, target_s):
    """A loop count that makes one measurement last about target_s."""
    n = 1
    while True:
        t = timer.timeit(n)
        if t >= target_s / 5 or n >= 1 << 26:
            return max(1, int(n * target_s / max(t, 1e-9)))
        n *= 4


def bench_small(rounds, target_s):
    rs = rows()
    check(rs)
    # CPU time of this thread: time spent descheduled on a shared machine is not signing
    timers = [timeit.Timer(stmt, timer=time.thread_time, globals=g) for _, stmt, g in rs]
    loops = [calibrate(t, target_s) for t in timers]
    samples = [[] for _ in rs]
    for _ in range(rounds):
        for i, t in enumerate(timers):                     # interleaved: one of each per round
            samples[i].append(t.timeit(loops[i]) / loops[i] * 1e9)
    return [(label, s) for (label, _, _), s in zip(rs, samples)]


def callgrind_counts(rows_, calls=2000):
    """Instructions per call of each row under callgrind (a second figure, stable whatever the
    machine's load): a child runs the statement `calls` times, another none; the difference
    divided by `calls`. None when valgrind is not installed."""
    import shutil
    import subprocess
    if shutil.which("valgrind") is None:
        return None
    env = dict(os.environ, PYTHONHASHSEED="0")

    def run(i, n):
        p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                            sys.executable, os.path.abspath(__file__), "--child", str(i), str(n)],
                           capture_output=True, text=True, env=env)
        import re
        m = re.search(r"Collected : (\d+)", p.stderr)
        if p.returncode != 0 or not m:
            sys.exit(f"bench_python: callgrind run failed:\n{p.stderr[-2000:]}")
        return int(m.group(1))

    return [(run(i, calls) - run(i, 0)) / calls for i in range(len(rows_))]


def child(i, n):
    """--child I N: run row I's statement N times (under callgrind)."""
    _, stmt, g = rows()[i]
    timeit.Timer(stmt, globals=g).timeit(n)


def bench_threads(size, calls, repeats):
    """Median seconds for 2*calls signs of `size` bytes: one thread, then two threads."""
    signer = pylon_idv.Signer(SECRET)
    big = os.urandom(size)
    want = hmac.new(bytes.fromhex(SECRET), big, hashlib.sha256).hexdigest()
    assert signer.sign(big) == want and pylon_idv.sign(big, SECRET) == want

    def work(n):
        for _ in range(n):
            signer.sign(big)

    one, two = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        work(2 * calls)
        one.append(time.perf_counter() - t0)
        ths = [threading.Thread(target=work, args=(calls,)) for _ in range(2)]
        t0 = time.perf_counter()
        for t in ths:
            t.start()
        for t in ths:
            t.join()
        two.append(time.perf_counter() - t0)
    return statistics.median(one), statistics.median(two)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a few short rounds (CI)")
    ap.add_argument("--rounds", type=int, help="interleaved rounds (default 31, quick 5)")
    ap.add_argument("--target-ms", type=float, help="ms per measurement (default 40, quick 5)")
    ap.add_argument("--no-callgrind", action="store_true",
                    help="skip the callgrind instruction counts (skipped by --quick)")
    ap.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        child(*a.child)
        return 0
    rounds = a.rounds or (5 if a.quick else 31)
    target = (a.target_ms or (5 if a.quick else 40)) / 1000

    res = bench_small(rounds, target)
    labels = [label for label, _ in res]
    i_seed = next(i for i, label in enumerate(labels) if label.startswith("seed"))
    i_pyca = next((i for i, label in enumerate(labels) if label.startswith("pyca")), None)

    def ratio(i_ref, row):
        """Median over rounds of (reference / row), each pair timed in the same round."""
        return statistics.median(a / b for a, b in zip(res[i_ref][1], row))

    ver = sys.version.split()[0]
    print(f"## Python {ver}: pylon_idv {pylon_idv.__version__} vs the usual idioms "
          f"(20-byte str email, 32-byte key; {rounds} interleaved rounds)")
    print()
    print("| Python | ns/call (median) | ns/call (best) | x seed snippet | x pyca |")
    print("|---|---:|---:|---:|---:|")
    for label, row in res:
        vs_pyca = f"{ratio(i_pyca, row):.2f}" if i_pyca is not None else "n/a"
        print(f"| {label} | {statistics.median(row):.0f} | {min(row):.0f} | "
              f"{ratio(i_seed, row):.2f} | {vs_pyca} |")
    print()
    print("(ratios: the median over rounds of the ratio within each round, so that the "
          "machine's drift cancels)")
    if i_pyca is None:
        print()
        print("(pyca/cryptography is not importable here: no pyca row.)")
    i_f2 = next((i for i, label in enumerate(labels) if label.startswith("floor: sign ")), None)
    if i_f2 is not None:
        i_f1 = i_f2 + 1
        print()
        print(f"Against the floor behind each call (the stateless floor for `sign`): "
              f"`sign` {ratio(0, res[i_f2][1]):.2f}x (target 1.15x), "
              f"`Signer.sign` {ratio(1, res[i_f1][1]):.2f}x (target 1.08x) the time of its floor "
              f"row. "
              f"Against the seed snippet they reach {ratio(i_seed, res[0][1]):.2f}x and "
              f"{ratio(i_seed, res[1][1]):.2f}x; their floors {ratio(i_seed, res[i_f2][1]):.2f}x "
              f"and {ratio(i_seed, res[i_f1][1]):.2f}x.")
    counts = None if (a.quick or a.no_callgrind) else callgrind_counts(rows())
    if counts:
        print()
        print("| Python, callgrind | instructions/call | x seed snippet |")
        print("|---|---:|---:|")
        for label, c in zip(labels, counts):
            print(f"| {label} | {c:.0f} | {counts[i_seed] / c:.2f} |")
        print()
        print("(valgrind runs OpenSSL's non-SHA-NI code path, so instruction ratios are smaller "
              "than time ratios.)")

    size = 1 << 20
    calls = 8 if a.quick else 40
    one, two = bench_threads(size, calls, 3 if a.quick else 5)
    mib = 2 * calls * size / (1 << 20)
    print()
    print(f"| Large inputs: `Signer.sign` of a 1 MiB bytes email, {2 * calls} calls | "
          "seconds (median) | MiB/s | scaling |")
    print("|---|---:|---:|---:|")
    print(f"| one thread, {2 * calls} calls | {one:.3f} | {mib / one:.0f} | 1.00 |")
    print(f"| two threads, {calls} calls each | {two:.3f} | {mib / two:.0f} | {one / two:.2f} |")
    print()
    print(f"(the GIL is released for emails of {pylon_idv._pylon_idv._GIL_RELEASE_MIN} bytes or "
          f"more; {os.cpu_count()} CPUs here, so the ideal scaling is "
          f"{min(2, os.cpu_count() or 1):.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
