#!/usr/bin/env python3
"""The last step of the integration, in a real browser: headless Chromium loads the page our
examples render, and we read window.pylon.chat_settings from the live page.

    test_browser.py flask PYTHON         start examples/flask/app.py with PYTHON (a venv with
                                         pylon_idv), check its page with normal and hostile users
    test_browser.py page URL EMAIL NAME  check one live page (the nginx test calls this)

The secret is taken from PYLON_IDENTITY_SECRET; the expected hash is computed here with the
standard library (the reference snippet), not with pylon_idv. Hostile values must stay inert:
the page must not run them (window.__pwned stays undefined) and chat_settings must give them
back exactly. Servers listen on 127.0.0.1 only and are stopped on exit.
"""
import hashlib
import hmac
import os
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import Browser, free_port  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

USERS = [
    ("jane@example.com", "Jane Doe"),
    ("jöhn+chat@exämple.com", "Jöhn 用户 😀"),
    ('"><img src=x onerror="window.__pwned=1">@example.com',
     "</script><script>window.__pwned=2</script>"),
    ("x@example.com", "<!-- <script>window.__pwned=3</script> -->"),
    ("y@example.com", "line\u2028sep\u2029para \\ \" ' & < > `${window.__pwned=4}`"),
]

EXPR = ("JSON.stringify({s: window.pylon && window.pylon.chat_settings, "
        "pwned: typeof window.__pwned})")

checks = 0
failures = 0


def check(cond, what):
    global checks, failures
    checks += 1
    if cond:
        print("ok   " + what)
    else:
        failures += 1
        print("FAIL " + what)


def expected_hash(email):
    secret = os.environ["PYLON_IDENTITY_SECRET"]
    return hmac.new(bytes.fromhex(secret.strip()), email.encode(), hashlib.sha256).hexdigest()


def check_page(browser, url, email, name, label):
    import json
    raw = browser.evaluate(url, EXPR)
    got = json.loads(raw)
    s = got["s"] or {}
    check(got["pwned"] == "undefined", "%s: hostile values stay inert" % label)
    check(s.get("email") == email, "%s: chat_settings.email round-trips" % label)
    check(s.get("name") == name, "%s: chat_settings.name round-trips" % label)
    check(s.get("email_hash") == expected_hash(email),
          "%s: chat_settings.email_hash is the reference hash" % label)


def wait_http(url, proc, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %s" % proc.returncode)
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not answer: " + url)


def flask(python):
    app = os.path.join(ROOT, "examples", "flask", "app.py")
    with Browser() as browser:
        for i, (email, name) in enumerate(USERS):
            port = free_port()
            env = dict(os.environ, PYLON_DEMO_EMAIL=email, PYLON_DEMO_NAME=name)
            proc = subprocess.Popen([python, app, "--port", str(port)], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            try:
                url = "http://127.0.0.1:%d/" % port
                wait_http(url, proc)
                check_page(browser, url, email, name, "flask user %d" % i)
            finally:
                proc.terminate()
                try:
                    _, err = proc.communicate(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    _, err = proc.communicate()
                secret = os.environ["PYLON_IDENTITY_SECRET"].strip()
                check(secret.encode() not in err, "flask user %d: no secret in the log" % i)


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "flask":
        flask(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "page":
        with Browser() as browser:
            check_page(browser, sys.argv[2], sys.argv[3], sys.argv[4], "page " + sys.argv[2])
    else:
        sys.exit(__doc__)
    print("test_browser: %d checks, %d failed" % (checks, failures))
    sys.exit(1 if failures or not checks else 0)


if __name__ == "__main__":
    main()
