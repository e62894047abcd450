#!/usr/bin/env python3
"""Regenerate the line-based vector files in tests/vectors/ that every suite reads.

    python3 tests/vectors/gen/make_vectors.py          # rewrite the .tsv files
    python3 tests/vectors/gen/make_vectors.py --check  # exit 1 if they are out of date

Inputs: the public JSON vector files beside this folder (copied from their sources, see
tests/vectors/README.md), and our own cross-reference cases, whose expected hashes are computed
here with two reference implementations: Python's hmac and Node's crypto.createHmac
(node must be on PATH to regenerate; --check compares only the Python side and the files).
"""
import hashlib
import hmac
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VEC = os.path.dirname(HERE)


def load(name):
    with open(os.path.join(VEC, name), encoding="utf-8") as f:
        return json.load(f)


def public_rows():
    """source, id, expect, key, msg, tag: expect is 'sign' (sign == tag and verify) or
    'reject' (verify is false: modified or truncated tag)."""
    rows = []
    w = load("wycheproof_hmac_sha256_test.json")
    for g in w["testGroups"]:
        for t in g["tests"]:
            ok = g["tagSize"] == 256 and t["result"] == "valid"
            rows.append(("wycheproof", t["tcId"], "sign" if ok else "reject",
                         t["key"], t["msg"], t["tag"]))
    for t in load("nist_cavp_hmac_sha256.json")["tests"]:
        ok = t["fullLengthTag"] and t["result"] == "valid"
        rows.append(("cavp", t["tcId"], "sign" if ok else "reject", t["key"], t["msg"], t["tag"]))
    for t in load("rfc4231_hmac_sha256.json")["tests"]:
        ok = t["fullLengthTag"] and t["result"] == "valid"
        rows.append(("rfc4231", t["tcId"], "sign" if ok else "reject", t["key"], t["msg"], t["tag"]))
    for t in load("nist_toolkit_hmac_sha256_examples.json")["tests"]:
        ok = t["fullLengthTag"] and t["result"] == "valid"
        rows.append(("toolkit", t["tcId"], "sign" if ok else "reject", t["key"], t["msg"], t["tag"]))
    return rows


def crossref_cases():
    """(name, email bytes, secret text) -- secret text as a user would pass it."""
    k32 = "8f3a5be1c0d2e4f6a7b9c1d3e5f70819" "2a3b4c5d6e7f8091a2b3c4d5e6f70812"
    cases = [
        ("ascii", b"jane@example.com", k32),
        ("empty-email", b"", k32),
        ("latin1-accents", "jöhn.dœ@exämple.com".encode(), k32),
        ("cjk", "用户@例子.公司".encode(), k32),
        ("emoji", "😀+chat@example.io".encode(), k32),
        ("rtl", "مستخدم@مثال.com".encode(), k32),
        ("combining", "jose\u0301@example.com".encode(), k32),
        ("nul-inside", b"jane\x00@example.com", k32),
        ("nul-only", b"\x00", k32),
        ("nul-end", b"jane@example.com\x00", k32),
        ("upper-email", b"JANE@EXAMPLE.COM", k32),
        ("spaces-kept", b" jane@example.com\n", k32),
        ("secret-upper", b"jane@example.com", k32.upper()),
        ("secret-mixed", b"jane@example.com",
         "".join(c.upper() if i % 3 == 0 else c for i, c in enumerate(k32))),
        ("secret-ws", b"jane@example.com", "  \t" + k32 + "\r\n"),
        ("secret-newline", b"jane@example.com", k32 + "\n"),
        ("high-bytes", bytes(range(128, 256)), k32),
    ]
    for n in (1, 54, 55, 56, 57, 63, 64, 65, 119, 120, 121, 127, 128, 1000, 4096):
        email = (b"u" * max(0, n - 12) + b"@example.com")[-n:] if n >= 12 else b"a" * n
        cases.append(("email-len-%d" % n, email, k32))
    for n in range(1, 201):
        key = bytes((i * 37 + n) & 0xFF for i in range(n))
        cases.append(("key-len-%d" % n, b"jane@example.com", key.hex()))
    return cases


def node_hashes(cases):
    js = r"""
const {createHmac} = require("crypto");
let data = ""; process.stdin.on("data", d => data += d).on("end", () => {
  for (const line of data.split("\n")) { if (!line) continue;
    const [email, secret] = line.split(" ");
    process.stdout.write(createHmac("sha256", Buffer.from(Buffer.from(secret, "hex").toString().trim(), "hex"))
      .update(Buffer.from(email, "hex")).digest("hex") + "\n"); }
});"""
    inp = "".join("%s %s\n" % (e.hex(), s.encode().hex()) for _, e, s in cases)
    out = subprocess.run(["node", "-e", js], input=inp, capture_output=True, text=True, check=True)
    return out.stdout.split()


def bad_secrets():
    """(secret text, status, position): the whole malformed-secret table."""
    k = "00112233445566778899aabbccddeeff"
    return [
        ("", "EMPTY", 0), (" ", "EMPTY", 0), ("\t\r\n ", "EMPTY", 0), ("\n", "EMPTY", 0),
        ("a", "ODD", 1), ("abc", "ODD", 3), (" abc\n", "ODD", 4), (k + "0", "ODD", 33),
        ("  " + k + "f\r\n", "ODD", 35),
        ("g", "CHAR", 0), ("zz", "CHAR", 0), ("0xab", "CHAR", 1), ("abcg", "CHAR", 3),
        ("ab cd", "CHAR", 2), (" ab cd ", "CHAR", 3), ("ab\tcd", "CHAR", 2),
        ("ab\x00cd", "CHAR", 2), ("\x00abcd", "CHAR", 0), ("abcd\x00", "CHAR", 4),
        ("ab\x0bcd", "CHAR", 2), ("\x0babcd", "CHAR", 0), ("abcd\x0c", "CHAR", 4),
        ("ab-cd", "CHAR", 2), ("abé0", "CHAR", 2), ("\u00a0abcd", "CHAR", 0),
        ("abc g", "CHAR", 3),            # a bad character wins over an odd count
        ("ab" * 40 + "x" + "ab" * 10, "CHAR", 80), ("   :", "CHAR", 3),
        (k[:17] + "G" + k[18:], "CHAR", 17), ("'" + k + "'", "CHAR", 0),
        ('"' + k + '"', "CHAR", 0), (k + ";", "CHAR", 32),
    ]


def write(name, header, rows, check):
    text = header + "".join("\t".join(str(c) for c in r) + "\n" for r in rows)
    path = os.path.join(VEC, name)
    if check:
        with open(path, encoding="utf-8") as f:
            if f.read() != text:
                sys.exit("%s is out of date: run %s" % (name, sys.argv[0]))
    else:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


def main():
    check = "--check" in sys.argv
    pub = public_rows()
    write("hmac_sha256.tsv",
          "# Public HMAC-SHA256 vectors (see README.md for sources and licences), one per line:\n"
          "# source\tid\texpect\tkey_hex\tmsg_hex\ttag_hex\n"
          "# expect=sign: sign(msg, key) == tag and verify is true; "
          "expect=reject: verify(msg, key, tag) is false\n"
          "# generated by gen/make_vectors.py from the .json files beside it\n", pub, check)
    cases = crossref_cases()
    py = [hmac.new(bytes.fromhex(s.strip()), e, hashlib.sha256).hexdigest() for _, e, s in cases]
    if not check:
        js = node_hashes(cases)
        if js != py:
            sys.exit("node and python disagree")
    write("crossref.tsv",
          "# Our cross-reference cases; hashes computed with two reference implementations\n"
          "# (Node createHmac and Python hmac), which agree on every line.\n"
          "# name\temail_hex\tsecret_text_hex\thash  (secret_text_hex: the secret string as\n"
          "# given to sign(), whitespace and case included, hex-encoded)\n",
          [(n, e.hex(), s.encode().hex(), h) for (n, e, s), h in zip(cases, py)], check)
    write("bad_secrets.tsv",
          "# Malformed secrets: every suite checks status and position (0-based, in the string\n"
          "# as given). secret_text_hex: the secret string, UTF-8, hex-encoded.\n"
          "# secret_text_hex\tstatus\tposition\n",
          [(s.encode().hex(), st, p) for s, st, p in bad_secrets()], check)
    n_sign = sum(r[2] == "sign" for r in pub)
    print("vectors: %d sign, %d reject, %d crossref, %d bad secrets"
          % (n_sign, len(pub) - n_sign, len(cases), len(bad_secrets())))


if __name__ == "__main__":
    main()
