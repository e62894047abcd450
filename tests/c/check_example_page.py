#!/usr/bin/env python3
"""examples/c/page.c, run as a user would: the page it prints holds the settings for the
email (hash checked against Python's hmac), the pylon-chat.js tag, or with --inline the
inline settings script and the widget loader carrying the nonce; a visitor gets no hash; a
bad app id or secret is one line on stderr, exit 2, with neither echoed.

    check_example_page.py PATH_TO_page_example
"""
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys

SECRET = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812"
fails = 0


def check(cond, what):
    global fails
    if not cond:
        fails += 1
        print("FAIL", what)


def run(args, secret=SECRET):
    env = dict(os.environ, PYLON_IDENTITY_SECRET=secret)
    return subprocess.run([sys.argv[1]] + args, env=env, capture_output=True, text=True)


def data_settings(page):
    m = re.search(r'<script type="application/json" id="pylon-chat-settings">(.*?)</script>', page)
    return json.loads(m.group(1)) if m else None


email = "jane@example.com"
want = hmac.new(bytes.fromhex(SECRET), email.encode(), hashlib.sha256).hexdigest()

r = run(["my_app", email, "Jane <Doe>"])
check(r.returncode == 0, "data mode exits 0: %r" % r.stderr)
check(data_settings(r.stdout) == {"app_id": "my_app", "email": email, "email_hash": want,
                                  "name": "Jane <Doe>"}, "data mode settings: %s" % r.stdout)
check('<script src="/_pylon_idv/pylon-chat.js"></script>' in r.stdout, "the pylon-chat.js tag")
check("Jane <Doe>" not in r.stdout, "the name is escaped inside the element")
check(r.stdout.startswith("<!doctype html>") and r.stdout.rstrip().endswith("</html>"),
      "a whole page")

r = run(["my_app", email, "--inline", "--nonce", "r4nd0m"])
check(r.returncode == 0, "inline mode exits 0")
check(r.stdout.count('nonce="r4nd0m"') == 2, "both inline scripts carry the nonce")
check(want in r.stdout and "chat_settings" in r.stdout, "the inline settings hold the hash")
check("https://widget.usepylon.com/widget/" in r.stdout, "the widget loader")

r = run(["my_app"])
s = data_settings(r.stdout)
check(r.returncode == 0 and s == {"app_id": "my_app"}, "a visitor: app id only, %r" % s)

r = run(["bad app!", email])
check(r.returncode == 2 and "bad app" not in r.stderr and r.stderr.count("\n") == 1,
      "a bad app id: %r" % r.stderr)
r = run(["my_app", email], secret=SECRET[:40] + "zz")
check(r.returncode == 2 and "invalid hex digit at position 40" in r.stderr
      and SECRET[:8] not in r.stderr, "a bad secret: %r" % r.stderr)

print("example page: %s" % ("FAILED" if fails else "ok"))
sys.exit(1 if fails else 0)
