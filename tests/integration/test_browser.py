#!/usr/bin/env python3
"""The last step of the integration, in a real browser: headless Chromium loads the pages our
examples render, served with their real Content-Security-Policy headers, and we read
window.pylon.chat_settings back from the live page.

    test_browser.py flask PYTHON          start examples/flask/app.py with PYTHON (a venv with
                                          pylon_idv), check its pages with normal, hostile and
                                          anonymous users, and the CSP controls
                                          then the hostile-page corpus (hostile.py) through
                                          the Flask extension example, in both modes
    test_browser.py hostile PYTHON        only the corpus
    test_browser.py pages BASE APP_ID EMAIL NAME
                                          check the three pages of a live server (the nginx
                                          test calls this); EMAIL "-" for a visitor

The three pages, each in its own CSP mode:
  BASE/         script-src 'self' https://widget.usepylon.com (Pylon's documented policy),
                chat_settings_data + pylon-chat.js from the same origin
  BASE/nonce    script-src 'nonce-N', chat_settings_script(nonce=N) + widget_script(nonce=N)
  BASE/inline   no policy, chat_settings_script + widget_script
In each: the header is what the mode says; chat_settings is exactly the user's (email_hash
computed here with the standard library, the reference snippet); the widget's <script> for the
app id is in the DOM exactly once (the network to widget.usepylon.com is closed here: its src
is checked, not that it loaded) and carries the page's nonce under the nonce policy;
window.Pylon is the command queue; no CSP violation was reported; and hostile values stay inert
(window.__pwned stays undefined). Controls prove the policy is enforced: the inline page served
under Pylon's policy must NOT get its settings (and a violation is reported), and so must a
nonce page whose header holds another nonce. Servers listen on 127.0.0.1 only, stopped on exit.
"""
import hashlib
import hmac
import html
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile  # noqa: E402
from browser import Browser, free_port  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WIDGET = "https://widget.usepylon.com/widget/"
PYLON_POLICY = "script-src 'self' https://widget.usepylon.com"

USERS = [
    ("jane@example.com", "Jane Doe"),
    ("jöhn+chat@exämple.com", "Jöhn 用户 😀"),
    ('"><img src=x onerror="window.__pwned=1">@example.com',
     "</script><script>window.__pwned=2</script>"),
    ("x@example.com", "<!-- <script>window.__pwned=3</script> -->"),
    ("y@example.com", "line\u2028sep\u2029para \\ \" ' & < > `${window.__pwned=4}`"),
    (None, "</script><script>window.__pwned=5</script>"),          # a visitor: no name
]

# Before any script of the page: record CSP violations.
BEFORE = ("window.__csp = [];document.addEventListener('securitypolicyviolation', function (e) {"
          "window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));});")

EXPR = """JSON.stringify({
  s: window.pylon && window.pylon.chat_settings,
  pwned: typeof window.__pwned,
  csp: window.__csp,
  widgets: Array.prototype.map.call(document.querySelectorAll('script[src]'), function (e) {
    return {src: e.src, nonce: e.nonce || '', async: e.async};
  }),
  inlineNonce: (function () { var s = document.querySelector('script[nonce]');
                             return s ? s.nonce : ''; })(),
  queue: typeof window.Pylon === 'function' && Array.isArray(window.Pylon.q) &&
         (window.Pylon('show'), window.Pylon.q.length === 1 && window.Pylon.q[0][0] === 'show')
})"""

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


def expected_settings(app_id, email, name):
    """A signed-in user: app_id, email, email_hash, name; a visitor (the examples know no
    name for one): app_id only."""
    if email is None:
        return {"app_id": app_id}
    return {"app_id": app_id, "email": email, "email_hash": expected_hash(email), "name": name}


def header(url, name):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.headers.get(name)


def check_live(browser, url, want, label, mode):
    got = json.loads(browser.evaluate(url, EXPR, before=BEFORE))
    check(got["pwned"] == "undefined", "%s: hostile values stay inert" % label)
    check(got.get("s") == want, "%s: window.pylon.chat_settings is the user's, hash = reference"
          % label)
    if got.get("s") != want:
        print("     got  %r\n     want %r" % (got.get("s"), want))
    check(got["csp"] == [], "%s: no CSP violation (%s)" % (label, got["csp"]))
    widget = WIDGET + want["app_id"]
    mine = [w for w in got["widgets"] if w["src"] == widget]
    check(len(mine) == 1 and mine[0]["async"],
          "%s: the widget's <script src=%s> is in the DOM once" % (label, widget))
    others = [w["src"] for w in got["widgets"] if w["src"] != widget]
    want_others = [url.split("/", 3)[0] + "//" + url.split("/", 3)[2] + "/pylon-chat.js"] \
        if mode == "/" else []
    check(others == want_others, "%s: other scripts with src: %s" % (label, others))
    check(got["queue"], "%s: window.Pylon is the command queue (Pylon('show') is queued)" % label)
    if mode == "/nonce":
        check(got["inlineNonce"] != "" and mine and mine[0]["nonce"] == got["inlineNonce"],
              "%s: the widget's element carries the page's nonce" % label)
    return got


def check_pages(browser, base, app_id, email, name, label):
    """The three pages of one server for one user."""
    want = expected_settings(app_id, email, name)
    for mode in ("/", "/nonce", "/inline"):
        url = base + mode
        csp = header(url, "Content-Security-Policy")
        if mode == "/":
            check(csp == PYLON_POLICY, "%s %s: CSP is exactly Pylon's: %s" % (label, mode, csp))
        elif mode == "/nonce":
            check(csp is not None and csp.startswith("script-src 'nonce-") and csp.endswith("'")
                  and " " not in csp[len("script-src "):],
                  "%s %s: CSP is a nonce policy only: %s" % (label, mode, csp))
        else:
            check(csp is None, "%s %s: no CSP" % (label, mode))
        check_live(browser, url, want, "%s %s" % (label, mode), mode)


class _Replay(http.server.BaseHTTPRequestHandler):
    """Serves one fixed page with a given CSP: the controls."""
    body = b""
    csp = ""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Security-Policy", self.csp)
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *a):
        pass


def controls(browser, base, label):
    """The policies are real: what they must block is blocked, in this very browser."""
    with urllib.request.urlopen(base + "/inline", timeout=10) as r:
        inline = r.read()
    with urllib.request.urlopen(base + "/nonce", timeout=10) as r:
        nonced = r.read()
    for body, csp, what in [
        (inline, PYLON_POLICY, "the inline page under Pylon's policy"),
        (nonced, "script-src 'nonce-not-the-page-nonce'", "a nonce page under another nonce"),
    ]:
        port = free_port()
        handler = type("H", (_Replay,), {"body": body, "csp": csp})
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        srv.daemon_threads = True           # an idle preconnection must not block the page
        t = threading.Thread(target=srv.serve_forever, daemon=True)
        t.start()
        try:
            got = json.loads(browser.evaluate("http://127.0.0.1:%d/" % port, EXPR,
                                              before=BEFORE))
        finally:
            srv.shutdown()
            srv.server_close()
        check(got.get("s") is None and not got["queue"] and len(got["csp"]) >= 2
              and not any(w["src"].startswith(WIDGET) for w in got["widgets"]),
              "%s control: %s is blocked (%s)" % (label, what, got["csp"]))


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
    app_id = "flask-demo_1"
    with Browser() as browser:
        for i, (email, name) in enumerate(USERS):
            port = free_port()
            env = dict(os.environ, PYLON_DEMO_NAME=name, PYLON_APP_ID=app_id)
            if email is None:
                env["PYLON_DEMO_ANONYMOUS"] = "1"
            else:
                env["PYLON_DEMO_EMAIL"] = email
            proc = subprocess.Popen([python, app, "--port", str(port)], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            try:
                base = "http://127.0.0.1:%d" % port
                wait_http(base + "/", proc)
                check_pages(browser, base, app_id, email, name, "flask user %d" % i)
                if i == 0:
                    controls(browser, base, "flask")
            finally:
                proc.terminate()
                try:
                    _, err = proc.communicate(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    _, err = proc.communicate()
                secret = os.environ["PYLON_IDENTITY_SECRET"].strip()
                check(secret.encode() not in err, "flask user %d: no secret in the log" % i)


# The Flask extension example (examples/flask/extension.py: PylonIDV and {{ pylon_chat() }}),
# its test-only /corpus/<name> route, and the demo user with the hostile name.
CORPUS_USER = ("jorg", "jörg+chat@exämple.com",
               "Jörg </script><script>window.__pwned=1</script>")
START_EXTENSION = ("import sys; sys.path.insert(0, sys.argv[1]); from extension import app; "
                   "app.run(host='127.0.0.1', port=int(sys.argv[2]), debug=False, "
                   "use_reloader=False)")


def stop(proc):
    proc.terminate()
    try:
        return proc.communicate(timeout=10)[1]
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()[1]


def flask_corpus(python, browser):
    """Every page of tests/vectors/hostile rendered by the Flask drop-in, in both modes."""
    pages = hostile.load()
    app_id = "flask-corpus_1"
    user, email, name = CORPUS_USER
    want = {"app_id": app_id, "email": email, "email_hash": expected_hash(email), "name": name}
    for mode in hostile.MODES:
        port = free_port()
        env = dict(os.environ, DEMO_MODE=mode, PYLON_APP_ID=app_id,
                   PYLON_DEMO_CORPUS=hostile.CORPUS)
        proc = subprocess.Popen([python, "-c", START_EXTENSION,
                                 os.path.join(ROOT, "examples", "flask"), str(port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        base = "http://127.0.0.1:%d" % port
        passed = 0
        try:
            wait_http(base + "/", proc)
            for page in pages:
                url = "%s/corpus/%s?user=%s" % (base, page.name, user)
                with urllib.request.urlopen(url, timeout=10) as r:
                    served = r.read()
                    csp = r.headers.get("Content-Security-Policy")
                problems = hostile.check(browser, url, page, mode, want, served=served,
                                         secrets=(want["email_hash"], email))
                if csp is not None:
                    problems.append("a CSP header on a corpus page: %s" % csp)
                if page.expect(mode) != "none":
                    # the bytes around the drop-in's output are the page's own
                    head, tail = page.html.split(hostile.TOKEN)
                    if not (served.startswith(head) and served.endswith(tail)):
                        problems.append("the page around the snippet is not byte-identical")
                check(not problems, "flask %s %s (%s): %s" % (
                    mode, page.name, page.expect(mode), "; ".join(problems) or "as expected"))
                passed += not problems
        finally:
            err = stop(proc)
        secret = os.environ["PYLON_IDENTITY_SECRET"].strip()
        check(secret.encode() not in err, "flask corpus %s: no secret in the log" % mode)
        print("flask corpus, %s mode: %d of %d pages as expected" % (mode, passed, len(pages)))
    naive_control(browser, pages, want)


class _Pages(http.server.BaseHTTPRequestHandler):
    pages = {}

    def do_GET(self):
        body = self.pages.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *a):
        pass


def naive_control(browser, pages, want):
    """The corpus catches what it is for: with the forms as they were before issue 18, the
    checks must report problems on the pages where those forms went wrong."""
    by_name = {p.name: p for p in pages}
    served = {"/%s/%s" % (mode, name): by_name[name].render(hostile.naive_snippet(mode, want))
              for mode, name in hostile.NAIVE_FAILS}
    port = free_port()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), type("H", (_Pages,),
                                                                    {"pages": served}))
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        for mode, name in hostile.NAIVE_FAILS:
            problems = hostile.check(browser, "http://127.0.0.1:%d/%s/%s" % (port, mode, name),
                                     by_name[name], mode, want,
                                     secrets=(want["email_hash"], want["email"]))
            check(problems, "control: the pre-issue-18 %s forms fail on %s (%s)"
                  % (mode, name, "; ".join(problems)[:160] or "NOT CAUGHT"))
    finally:
        srv.shutdown()
        srv.server_close()


# ---------------------------------------------------------------- the page forms, one by one
# pylon-chat.js as shipped, and the inline forms as the core prints them (the golden bytes of
# tests/vectors/page.tsv, the same in C, Python and Lua), each in a small page: what they
# refuse, and what of the page's own window.pylon / window.Pylon they keep.
JS_FILE = os.path.join(ROOT, "web", "pylon-chat.js")
JS_APP = "app-js_1"
JS_SETTINGS = '{"app_id":"%s","name":"J\\u003c/script\\u003e"}' % JS_APP


def golden(name, kind):
    with open(os.path.join(ROOT, "tests", "vectors", "page.tsv"), encoding="utf-8") as f:
        for line in f:
            row = line.rstrip("\n").split("\t")
            if not line.startswith("#") and row[0] == name and row[1] == kind:
                return bytes.fromhex(row[6]).decode("utf-8")
    raise KeyError((name, kind))


def data_el(text, attrs='type="application/json" id="pylon-chat-settings"', tag="script"):
    return "<%s %s>%s</%s>" % (tag, attrs, text, tag)


JS_TAG = '<script src="/pylon-chat.js"></script>'
PROBE = """JSON.stringify({
  s: window.pylon && window.pylon.chat_settings,
  keep: window.pylon && window.pylon.keep,
  proto: window.pylon ? Object.getPrototypeOf(window.pylon) === null ? 'null' : 'object' : '',
  q: window.Pylon && window.Pylon.q ? window.Pylon.q.length : -1,
  mine: !!(window.Pylon && window.Pylon.mine),
  widgets: Array.prototype.map.call(document.querySelectorAll('script[src^="%s"]'),
                                    function (e) { return [e.src, e.nonce || '']; })
})""" % WIDGET


def script_cases():
    """(name, body html, want, extra): want is the expected chat_settings, or "refused" (one
    warning from pylon-chat.js, nothing loaded); extra: more of the probe's values."""
    ok = json.loads(JS_SETTINGS)
    plain = golden("plain", "script") + golden("widget", "widget")
    plain_want = json.loads(golden("plain", "json"))
    pre_plain = "<script>window.pylon = {keep: 1};</script>"
    pre_null = "<script>window.pylon = Object.create(null); window.pylon.keep = 2;</script>"
    pre_queue = ("<script>var P = function () { P.q.push(arguments); }; P.q = [['boot']];"
                 "P.mine = true; window.Pylon = P;</script>")
    R = "refused"
    return [
        ("js: no element", JS_TAG, R, {}),
        ("js: invalid JSON", data_el('{"app_id":') + JS_TAG, R, {}),
        ("js: a bad app_id", data_el('{"app_id":"../evil"}') + JS_TAG, R, {}),
        ("js: a JSON array", data_el('[{"app_id":"a"}]') + JS_TAG, R, {}),
        ("js: JSON null", data_el("null") + JS_TAG, R, {}),
        ("js: a script of another type",
         data_el(JS_SETTINGS, 'type="application/ld+json" id="pylon-chat-settings"') + JS_TAG,
         R, {}),
        ("js: a <div> alone", data_el(JS_SETTINGS, 'id="pylon-chat-settings"', "div") + JS_TAG,
         R, {}),
        ("js: the element twice", data_el(JS_SETTINGS) * 2 + JS_TAG, R, {}),
        ("js: an SVG <script> with the id",
         '<svg><script type="application/json" id="pylon-chat-settings">%s</script></svg>'
         % JS_SETTINGS + JS_TAG, R, {}),
        ("js: before the element (waits for the parse)",
         JS_TAG + "<p>text</p>" + data_el(JS_SETTINGS), ok, {}),
        ("js: defer, before the element",
         JS_TAG.replace("></", " defer></") + data_el(JS_SETTINGS), ok, {}),
        ("js: keeps the page's plain window.pylon", pre_plain + data_el(JS_SETTINGS) + JS_TAG,
         ok, {"keep": 1, "proto": "object"}),
        ("js: keeps a null-prototype window.pylon", pre_null + data_el(JS_SETTINGS) + JS_TAG,
         ok, {"keep": 2, "proto": "null"}),
        ("js: keeps the page's Pylon queue", pre_queue + data_el(JS_SETTINGS) + JS_TAG,
         ok, {"q": 1, "mine": True}),
        ("js: the nonce goes to the widget", data_el(JS_SETTINGS) +
         JS_TAG.replace("<script", '<script nonce="n0nce"'), ok, {"nonce": "n0nce"}),
        ("js: loaded twice, one widget", data_el(JS_SETTINGS) + JS_TAG * 2, ok, {}),
        ("inline: keeps the page's plain window.pylon", pre_plain + plain, plain_want,
         {"keep": 1, "proto": "object"}),
        ("inline: keeps a null-prototype window.pylon", pre_null + plain, plain_want,
         {"keep": 2, "proto": "null"}),
        ("inline: keeps the page's Pylon queue", pre_queue + plain, plain_want,
         {"q": 1, "mine": True}),
        ("inline: the nonce goes to the widget",
         golden("plain", "script") + golden("widget-nonce", "widget"), plain_want,
         {"nonce": "abc+/=_-XYZ"}),
        ("inline: the loader twice, one widget", plain + golden("widget", "widget"),
         plain_want, {}),
    ]


def check_scripts(browser):
    """Each case of script_cases() in its own page, pylon-chat.js served beside it."""
    with open(JS_FILE, "rb") as f:
        js = f.read()
    cases = script_cases()
    pages = {}
    for i, (name, body, _, _) in enumerate(cases):
        pages["/%d" % i] = ("<!doctype html><html><head><meta charset=utf-8></head><body>"
                            "<h1>%s</h1>%s</body></html>" % (html.escape(name), body)).encode()

    class H(_Pages):
        def do_GET(self):
            if self.path != "/pylon-chat.js":
                return super().do_GET()
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript")
            self.end_headers()
            self.wfile.write(js)

    H.pages = pages
    port = free_port()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        for i, (name, _, want, extra) in enumerate(cases):
            got = browser.visit("http://127.0.0.1:%d/%d" % (port, i), PROBE)
            v = json.loads(got["value"])
            warns = [c for c in got["console"] if c[0] == "warning"]
            problems = ["exceptions %s" % got["exceptions"]] if got["exceptions"] else []
            if want == "refused":
                if v.get("s") is not None or v["widgets"]:
                    problems.append("loaded: %r %r" % (v.get("s"), v["widgets"]))
                if len(warns) != 1 or not warns[0][1].startswith("pylon-chat.js: "):
                    problems.append("warnings %r" % warns)
            else:
                if v.get("s") != want:
                    problems.append("settings %r" % v.get("s"))
                if [w[0] for w in v["widgets"]] != [WIDGET + want["app_id"]]:
                    problems.append("widgets %r" % v["widgets"])
                if warns:
                    problems.append("warnings %r" % warns)
                for k, x in extra.items():
                    have = (v["widgets"][0][1] if v["widgets"] else None) if k == "nonce" \
                        else v.get(k)
                    if have != x:
                        problems.append("%s = %r, want %r" % (k, have, x))
            check(not problems, "%s (%s): %s" % (name, "refused" if want == "refused"
                                                 else "settings",
                                                 "; ".join(problems) or "as expected"))
    finally:
        srv.shutdown()
        srv.server_close()


def main():
    import faulthandler
    faulthandler.dump_traceback_later(240, exit=True)     # bounded: a stack, never a hang
    if len(sys.argv) >= 3 and sys.argv[1] == "flask":
        flask(sys.argv[2])
        with Browser() as browser:
            check_scripts(browser)
            flask_corpus(sys.argv[2], browser)
    elif len(sys.argv) >= 3 and sys.argv[1] == "hostile":
        with Browser() as browser:
            check_scripts(browser)
            flask_corpus(sys.argv[2], browser)
    elif len(sys.argv) == 6 and sys.argv[1] == "pages":
        base, app_id, email, name = sys.argv[2:6]
        email = None if email == "-" else email
        with Browser() as browser:
            check_pages(browser, base.rstrip("/"), app_id, email, name, "pages " + base)
            controls(browser, base.rstrip("/"), "pages " + base)
    else:
        sys.exit(__doc__)
    print("test_browser: %d checks, %d failed" % (checks, failures))
    sys.exit(1 if failures or not checks else 0)


if __name__ == "__main__":
    main()
