#!/usr/bin/env python3
"""The drop-in integrations in their real servers, read back by headless Chromium.

    test_frameworks.py VENV_BIN [django|django-asgi|django-wsgi|flask|fastapi|quart|litestar ...]

VENV_BIN holds python, gunicorn and uvicorn of a venv with pylon_idv and the frameworks of
tests/integration/requirements.txt (nox -s integrations makes it). Each example is
started exactly as its README section says, on 127.0.0.1 and a free port:

    django       examples/django/manage.py rundemo --port P        (runserver)
    django6      the same under Django 6 (VENV_BIN of build/venv-django6) with Django's own
                 CSP: SECURE_CSP built by pylon_idv.csp.merge_secure_csp, a nonce per request
    django-asgi  uvicorn --app-dir examples/django demo_site.asgi:application (async views:
                 /async/ awaits request.auser(), /async-lazy/ never loads the user)
    django-wsgi  gunicorn --chdir examples/django demo_site.wsgi:application
                 (both after manage.py rundemo --setup-only; DEBUG off, so Django serves
                 pylon-chat.js through pylon_idv.django.urls, no static server)
    quart        uvicorn --app-dir examples/quart app:app    (async Environment, async hooks)
    litestar     uvicorn --app-dir examples/litestar app:app
    flask    gunicorn -c examples/flask/gunicorn.conf.py extension:app --bind 127.0.0.1:P
             (2 pre-fork workers, preload)
    fastapi  uvicorn --app-dir examples/fastapi app:app --host 127.0.0.1 --port P
             (/async: an async Environment with async def hooks)

and in each mode: "data" under Pylon's documented policy `script-src 'self'
https://widget.usepylon.com` (the data element and pylon-chat.js from the app's own origin),
and "inline" under a per-request nonce policy. For an anonymous visitor, then jane, then a user
with a non-ASCII email and a hostile name, Chromium reads window.pylon.chat_settings: exactly
app_id (+ email, the stdlib reference hash, name), the widget's script element is in the DOM,
and nothing hostile ran. Then each bad configuration (missing secret, malformed secret,
malformed previous secret, missing app id) must stop the server at start-up with its
pylon_idv.E00x id, without the secret (and Django's check without a traceback).
Every server is stopped on exit; every wait is bounded.
"""
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import Browser, free_port  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRET = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812"
OLD = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
APP_ID = "test-app_1"
PYLON_CSP = "script-src 'self' https://widget.usepylon.com"
USERS = {
    "jane": ("jane@example.com", "Jane Doe"),
    "jorg": ("jörg+chat@exämple.com", "Jörg </script><script>window.__pwned=1</script>"),
}
EXPR = ("JSON.stringify({s: window.pylon && window.pylon.chat_settings,"
        " widget: !!document.querySelector('script[src=\"https://widget.usepylon.com/widget/"
        + APP_ID + "\"]'), pwned: typeof window.__pwned})")

checks = failures = 0


def check(cond, what):
    global checks, failures
    checks += 1
    failures += 0 if cond else 1
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    return cond


def reference_hash(email):
    return hmac.new(bytes.fromhex(SECRET), email.encode(), hashlib.sha256).hexdigest()


def command(bin_dir, name, port):
    py = os.path.join(bin_dir, "python")
    uvicorn = [os.path.join(bin_dir, "uvicorn")]
    where = ["--host", "127.0.0.1", "--port", str(port)]
    if name in ("django", "django6"):
        return [py, "examples/django/manage.py", "rundemo", "--port", str(port)]
    if name == "django-asgi":
        return uvicorn + ["--app-dir", "examples/django", "demo_site.asgi:application"] + where
    if name == "django-wsgi":
        return [os.path.join(bin_dir, "gunicorn"), "--chdir", "examples/django",
                "demo_site.wsgi:application", "--bind", "127.0.0.1:%d" % port]
    if name == "flask":
        return [os.path.join(bin_dir, "gunicorn"), "-c", "examples/flask/gunicorn.conf.py",
                "extension:app", "--bind", "127.0.0.1:%d" % port]
    return uvicorn + ["--app-dir", "examples/" + name, "app:app"] + where


# The pages each example shows the chat on (the login links lead to "/"): the async ones are
# async views (Django: `await request.auser()`, then one that never loads the user) or an
# async Jinja2 Environment with async def hooks (FastAPI's /async; Quart's every page).
PAGES = {"django-asgi": ["/", "/async/", "/async-lazy/"], "fastapi": ["/", "/async"]}
SLASH = ("django", "django6", "django-asgi", "django-wsgi")      # Django's URLs end with a slash


def setup(bin_dir, name, env):
    """What an example needs before its server starts: the Django example's database and demo
    users, made by `manage.py rundemo --setup-only` (runserver's rundemo does it itself)."""
    if name in ("django-asgi", "django-wsgi"):
        subprocess.run([os.path.join(bin_dir, "python"), "examples/django/manage.py",
                        "rundemo", "--setup-only"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL, timeout=120)


class Server:
    def __init__(self, bin_dir, name, env, tmp):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log = open(os.path.join(tmp, "%s-%d.log" % (name, self.port)), "w+b")
        self.proc = subprocess.Popen(command(bin_dir, name, self.port), cwd=ROOT, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def wait(self, seconds=30):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                urllib.request.urlopen(self.url + "/", timeout=2).read()
                return True
            except OSError:
                time.sleep(0.2)
        return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")


def env_for(tmp, mode, server_name="django", **overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYLON_", "DEMO_"))}
    env.update(PYLON_IDENTITY_SECRET=SECRET + "\n", PYLON_IDENTITY_SECRET_PREVIOUS=OLD,
               PYLON_APP_ID=APP_ID, DEMO_MODE=mode,
               DEMO_DB=os.path.join(tmp, "django-%s.sqlite3" % mode),
               DEMO_DEBUG="1" if server_name in ("django", "django6") else "0")
    if server_name == "django6":
        env["DEMO_CSP"] = "django"          # Django 6's own CSP, SECURE_CSP merged by the helper
    for k, v in overrides.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    return out


def run_pages(browser, bin_dir, name, mode, tmp):
    label = "%s/%s" % (name, mode)
    env = env_for(tmp, mode, name)
    setup(bin_dir, name, env)
    server = Server(bin_dir, name, env, tmp)
    try:
        if not check(server.wait(), "%s: the example starts (%s)" % (label, " ".join(
                command(bin_dir, name, server.port)[1:]))):
            return
        with urllib.request.urlopen(server.url + "/", timeout=5) as r:
            csp = r.headers.get("Content-Security-Policy", "")
            body = r.read().decode()
        if name == "django6":
            nonce = re.search(r"'nonce-([^']+)'", csp)
            check(nonce is not None and all(s in csp for v in SOURCES.values() for s in v),
                  "%s: Django 6's own CSP (SECURE_CSP, a nonce), with every widget source "
                  "(%s)" % (label, csp))
            check(nonce is not None and ('nonce="%s"' % nonce.group(1)) in body,
                  "%s: the tag took Django's nonce (no context processor)" % label)
        elif mode == "data":
            check(csp == PYLON_CSP, "%s: served under Pylon's documented policy" % label)
            m = re.search(r'<script src="([^"]+)"( nonce="[^"]+")?></script>', body)
            if check(m is not None, "%s: the page loads pylon-chat.js by URL" % label):
                with urllib.request.urlopen(server.url + m.group(1), timeout=5) as r:
                    js = r.read()
                    ctype = r.headers.get("Content-Type", "")
                check(js == open(os.path.join(STATIC, "pylon-chat.js"), "rb").read()
                      and "javascript" in ctype,
                      "%s: %s is the package's pylon-chat.js (%s)" % (label, m.group(1), ctype))
        if name == "django6":
            pass
        elif mode == "inline":
            check(re.fullmatch(r"script-src 'nonce-[A-Za-z0-9_-]+' https://widget\.usepylon\.com",
                               csp) is not None, "%s: served under a nonce policy" % label)
            nonces = set(re.findall(r'<script nonce="([^"]+)"', body))
            check(len(nonces) == 1 and "'nonce-%s'" % nonces.pop() in csp,
                  "%s: the inline scripts carry the request's nonce" % label)
        if name == "flask":
            # The first worker can answer before the arbiter has forked the second: wait for
            # both (bounded), then require exactly two.
            deadline = time.monotonic() + 20
            while len(children(server.proc.pid)) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            workers = children(server.proc.pid)
            check(len(workers) == 2, "%s: gunicorn runs 2 pre-fork workers (found %d)"
                  % (label, len(workers)))
        slash = "/" if name in SLASH else ""
        for who in ("anonymous", "jane", "jorg", "anonymous"):
            path = "/logout" + slash if who == "anonymous" else "/login/%s%s" % (who, slash)
            for page in PAGES.get(name, ["/"]):
                # the login (or logout) link first: it sets the session, then leads to "/"
                got = json.loads(browser.evaluate(server.url + path, EXPR)) if page == "/" \
                    else json.loads(browser.evaluate(server.url + page, EXPR))
                where = label + ("" if page == "/" else " " + page)
                s = got["s"]
                if who == "anonymous":
                    check(s == {"app_id": APP_ID}, "%s: anonymous visitor: chat_settings is "
                          "exactly the app id (got %r)" % (where, s))
                else:
                    email, fullname = USERS[who]
                    check(s == {"app_id": APP_ID, "email": email,
                                "email_hash": reference_hash(email), "name": fullname},
                          "%s: %s logged in: chat_settings = app_id, email, the reference "
                          "email_hash, name (got %r)" % (where, who, s))
                check(got["widget"], "%s: %s: the widget's script element for %s is in the DOM"
                      % (where, who, APP_ID))
                check(got["pwned"] == "undefined", "%s: %s: nothing hostile ran" % (where, who))
    finally:
        log = server.stop()
        check(SECRET not in log and SECRET[:16] not in log, "%s: the server log does not show "
              "the secret" % label)
        check("renders nothing" not in log and "SynchronousOnlyOperation" not in log,
              "%s: no render failed (the log has no pylon_idv error)" % label)


BAD = [
    ("E001", "missing secret", {"PYLON_IDENTITY_SECRET": None}),
    ("E002", "malformed secret", {"PYLON_IDENTITY_SECRET": SECRET[:17] + "G" + SECRET[18:]}),
    ("E003", "malformed previous secret", {"PYLON_IDENTITY_SECRET_PREVIOUS": OLD + " " + OLD[:63]}),
    ("E004", "missing app id", {"PYLON_APP_ID": ""}),
]


def run_bad(bin_dir, name, tmp):
    for code, what, overrides in BAD:
        label = "%s: %s" % (name, what)
        server = Server(bin_dir, name, env_for(tmp, "data", name, **overrides), tmp)
        try:
            server.proc.wait(30)
            exited = True
        except subprocess.TimeoutExpired:
            exited = False
        log = server.stop()
        check(exited and server.proc.returncode != 0,
              "%s: refuses to start (exit %s)" % (label, server.proc.returncode))
        check("pylon_idv.%s" % code in log, "%s: the log names pylon_idv.%s" % (label, code))
        check("Fix:" in log or "HINT:" in log, "%s: the log says how to fix it" % label)
        check(SECRET[:12] not in log and OLD[:12] not in log and SECRET[18:30] not in log,
              "%s: the log does not show a secret" % label)
        if name == "django":
            check("Traceback" not in log, "%s: manage.py reports it without a traceback" % label)
        if not (exited and "pylon_idv.%s" % code in log):
            print(log[-3000:])


def main():
    global STATIC, SOURCES
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    bin_dir = os.path.abspath(sys.argv[1])
    names = sys.argv[2:] or ["django", "django-asgi", "django-wsgi", "flask", "fastapi",
                             "quart", "litestar"]
    STATIC = subprocess.run([os.path.join(bin_dir, "python"), "-c",
                             "import pylon_idv; print(pylon_idv.static_path())"],
                            capture_output=True, text=True, check=True).stdout.strip()
    SOURCES = json.loads(subprocess.run(
        [os.path.join(bin_dir, "python"), "-c",
         "import json, pylon_idv; print(json.dumps(pylon_idv.csp_sources()))"],
        capture_output=True, text=True, check=True).stdout)
    with tempfile.TemporaryDirectory(prefix="pylon-frameworks-") as tmp, Browser() as browser:
        for name in names:
            for mode in ("data", "inline"):
                run_pages(browser, bin_dir, name, mode, tmp)
            run_bad(bin_dir, name, tmp)
    print("test_frameworks: %d passed, %d failed" % (checks - failures, failures))
    sys.exit(1 if failures or not checks else 0)


if __name__ == "__main__":
    main()
