#!/usr/bin/env python3
"""pylon_idv.openresty in a real nginx + lua-nginx-module, in front of a backend that knows
nothing of Pylon, with an auth_request to a stand-in for oauth2-proxy.

    test_openresty.py CPATH_DIR [PYLON_CHAT_JS]

CPATH_DIR holds the LuaJIT build of pylon_idv.so (`make lua-trees LUA_TREES=luajit` installs
the source rock in build/lua/luajit/lib/lua/5.1); PYLON_CHAT_JS defaults to the one source file
web/pylon-chat.js. The example
examples/openresty-proxy/nginx.conf runs as it is but for its ports and module paths, with
examples/openresty-proxy/demo_services.py as the app and the auth service, all on 127.0.0.1
and free ports under a temporary prefix.

Checks: every bad configuration (missing secret, malformed secret, malformed previous secret,
missing app id, malformed app id, no pylon-chat.js) stops nginx at start-up with its id and
fix and without the secret; then, running: the settings for the user the auth subrequest
names (stdlib reference hash), app id only for a visitor, a client-sent X-Auth-Request-Email
ignored (alone and beside a real session), the backend's own X-Auth-Request-Email ignored;
each changed page byte for byte the backend's with the insertion before </body>, no
Content-Length left; a 1 MiB page; a chunked page whose </body> straddles two chunks (the first
part reaches the client before the backend sends the second); gzip, JSON, fragment and HEAD
untouched; pylon-chat.js served from the same origin; headless Chromium reads
window.pylon.chat_settings under the backend's CSP `script-src 'self'
https://widget.usepylon.com`; and an error log free of [error]/[alert]/[crit]/[emerg].

Two Pylon apps in the one nginx (the example's named configurations): /support/ uses the
configuration "support" (its own app id, secret and identity variable), its identity the
backend's X-User-Email RESPONSE header through a `map`: the settings for the session's user
under the support secret, a visitor's without one, a client-sent X-User-Email never the
identity (alone or beside a session), the header hidden from the client; / unchanged beside it;
Chromium reads both apps' settings and widget elements; a missing support secret stops nginx
with E001 naming PYLON_SUPPORT_SECRET; a test-only second server with the filter lines at
server level (header_filter("support")) whose location inherits them.

`nginx -t` and pylon_idv.nginx_check on the same files: `nginx -t` does not run init_by_lua
(a missing secret, a filter naming an unmade configuration: "test is successful", exit 0, as
the README says), nginx_check fails on both (exit 1, the problem named, no secret) and passes
the good one; a reload (HUP) with an init_by_lua that fails keeps the running configuration
serving, with the problem in the error log.

Through a second, test-only backend (in this process, behind a test-only `location /t/` with the
example's filter lines): the headers of personalised pages (signed in and visitor, GET and HEAD)
and of untouched responses (JSON, 404, gzip: GET and HEAD), the backend sending
CDN-Cache-Control, Surrogate-Control, Cloudflare-CDN-Cache-Control, ETag, Last-Modified and
Cache-Control; the CSP nonce pass-through (a nonce copied, from one header or the second of
two, a malformed one not, a blocking policy logged once per worker naming its directive,
Chromium running the page under a nonce-only policy); a second </body> more than the 1 MiB
the filter holds after the first (inserted at the first, the rest unchanged); and every page of tests/vectors/hostile served through the filter: exactly
the page with @@PYLON@@ replaced by the inserted snippet (or unchanged, for a page without one),
whole and in small chunks, then in Chromium (the page's own script ran, chat_settings as the
page's .json says, no attribute, form control or form data holding the hash or the email).
"""
import glob
import gzip
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import Browser, free_port  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "openresty-proxy")
SECRET = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812"
OLD = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
APP_ID = "proxy-app_1"
SUPPORT_SECRET = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
SUPPORT_APP_ID = "support-desk_2"
PYLON_CSP = "script-src 'self' https://widget.usepylon.com"
USERS = {"jane": ("jane@example.com", "Jane Doe"), "jorg": ("jörg+chat@exämple.com", "Jörg")}
INSERT = re.compile(rb'<script type="application/json" id="pylon-chat-settings">(.*?)</script>'
                    rb'<script src="/_pylon_idv/pylon-chat\.js"></script>', re.S)

checks = failures = 0


def check(cond, what):
    global checks, failures
    checks += 1
    failures += 0 if cond else 1
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    return cond


def reference_hash(email):
    return hmac.new(bytes.fromhex(SECRET), email.encode(), hashlib.sha256).hexdigest()


def expected_settings(user):
    if user is None:
        return {"app_id": APP_ID}
    email, name = USERS[user]
    return {"app_id": APP_ID, "email": email, "email_hash": reference_hash(email), "name": name}


def expected_support(user):
    """The configuration "support": its app id, its secret, the email only (no name)."""
    if user is None:
        return {"app_id": SUPPORT_APP_ID}
    email = USERS[user][0]
    return {"app_id": SUPPORT_APP_ID, "email": email,
            "email_hash": hmac.new(bytes.fromhex(SUPPORT_SECRET), email.encode(),
                                   hashlib.sha256).hexdigest()}


class Nginx:
    def __init__(self, prefix, conf):
        self.prefix, self.conf = prefix, conf
        self.pidfile = os.path.join(prefix, "logs", "nginx.pid")

    def start(self, env):
        for f in ("error.log", "startup.log"):
            open(os.path.join(self.prefix, "logs", f), "w").close()
        return subprocess.run(["nginx", "-p", self.prefix + "/", "-c", self.conf, "-e",
                               os.path.join(self.prefix, "logs", "startup.log")], env=env,
                              capture_output=True, text=True, timeout=30)

    def logs(self):
        out = ""
        for f in ("error.log", "startup.log"):
            with open(os.path.join(self.prefix, "logs", f), errors="replace") as fh:
                out += fh.read()
        return out

    def stop(self):
        try:
            pid = int(open(self.pidfile).read())
        except (OSError, ValueError):
            return
        try:
            os.kill(pid, signal.SIGQUIT)
            for _ in range(100):
                os.kill(pid, 0)
                time.sleep(0.05)
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.unlink(self.pidfile)
        except OSError:
            pass


def env_for(**overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYLON_")}
    env.update(PYLON_IDENTITY_SECRET=SECRET + "\n", PYLON_IDENTITY_SECRET_PREVIOUS=OLD,
               PYLON_APP_ID=APP_ID, PYLON_CHAT_JS=CHAT_JS,
               PYLON_SUPPORT_SECRET=SUPPORT_SECRET, PYLON_SUPPORT_APP_ID=SUPPORT_APP_ID)
    for k, v in overrides.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def get(port, path, headers=None, method="GET"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def check_insert(label, got, original, user, expected=expected_settings):
    """got must be original with the data element + script tag before its (only) </body."""
    m = INSERT.search(got)
    if not check(m is not None and got.count(b'id="pylon-chat-settings"') == 1,
                 "%s: one data element and the pylon-chat.js tag" % label):
        return
    at = re.search(rb"</body[\s>]", original, re.I).start()
    check(m.start() == at and got[:m.start()] + got[m.end():] == original,
          "%s: the rest is the backend's page byte for byte (%d bytes), insertion before </body>"
          % (label, len(original)))
    check(json.loads(m.group(1)) == expected(user),
          "%s: settings %s" % (label, "= app id only" if user is None else
                               "for %s, with the reference email_hash" % user))


def bad_configs(ng):
    bad = [
        ("E001", "missing secret", {"PYLON_IDENTITY_SECRET": None}),
        ("E002", "malformed secret", {"PYLON_IDENTITY_SECRET": SECRET[:17] + "G" + SECRET[18:]}),
        ("E003", "malformed previous secret",
         {"PYLON_IDENTITY_SECRET_PREVIOUS": OLD + " " + OLD[:63]}),
        ("E004", "missing app id", {"PYLON_APP_ID": ""}),
        ("E005", "malformed app id", {"PYLON_APP_ID": "app id/"}),
        ("E008", "no pylon-chat.js", {"PYLON_CHAT_JS": "/nonexistent/pylon-chat.js"}),
        ("E001", "missing support secret (the configuration \"support\")",
         {"PYLON_SUPPORT_SECRET": None}),
        ("E005", "malformed support app id", {"PYLON_SUPPORT_APP_ID": "desk 2"}),
    ]
    for code, what, overrides in bad:
        r = ng.start(env_for(**overrides))
        log = r.stderr + ng.logs()
        if not check(r.returncode != 0, "bad config, %s: nginx refuses to start" % what):
            ng.stop()
        check("pylon_idv.%s" % code in log and "Fix:" in log,
              "bad config, %s: the log names pylon_idv.%s and the fix" % (what, code))
        if "support" in what:
            check(set(re.findall(r"pylon_idv\.(E\d+): configuration \"support\": ", log)) == {code}
                  and set(re.findall(r"pylon_idv\.(E\d+)", log)) == {code}
                  and ("PYLON_SUPPORT_SECRET" in log) == (code == "E001"),
                  "bad config, %s: only its problem, naming the configuration \"support\"" % what)
        check(SECRET[:12] not in log and SECRET[18:30] not in log and OLD[:12] not in log
              and SUPPORT_SECRET[:12] not in log,
              "bad config, %s: the log does not show a secret" % what)
        if code == "E003":      # "<64 hex> <63 hex>": one entry with a space inside, not two
            check("previous secret #1 in the environment variable PYLON_IDENTITY_SECRET_PREVIOUS"
                  in log and "previous secret #2" not in log,
                  "bad config, %s: a space inside is an error naming previous secret #1" % what)


def support_checks(port, app_port):
    """/support/: the configuration "support", the identity from the backend's response."""
    orig = get(app_port, "/support/")[2]
    direct = get(app_port, "/support/", {"Cookie": "demo_session=jane"})[1]
    check(direct.get("x-user-email") == "jane@example.com",
          "/support/ straight from the backend: it names jane in X-User-Email")
    for user, headers, label in [
            (None, {}, "visitor"),
            ("jane", {"Cookie": "demo_session=jane"}, "jane (the backend names her)"),
            ("jorg", {"Cookie": "demo_session=jorg"}, "jörg (UTF-8 email)"),
            (None, {"X-User-Email": "victim@example.com"},
             "visitor sending X-User-Email itself"),
            ("jane", {"Cookie": "demo_session=jane", "X-User-Email": "victim@example.com"},
             "jane sending X-User-Email: victim")]:
        status, h, body = get(port, "/support/", headers)
        check(status == 200 and "x-user-email" not in h and "content-length" not in h,
              "/support/ as %s: 200, the backend's X-User-Email hidden from the client" % label)
        check_insert("/support/ as " + label, body, orig, user, expected_support)
        check(b"victim@example.com" not in body and b"proxy-app_1" not in body,
              "/support/ as %s: no claimed email, not the other app's id" % label)


def nginx_t_checks(ng, conf_path, cpath):
    """What `nginx -t` checks, and what pylon_idv.nginx_check adds, on the example's file."""
    typo_path = os.path.join(ng.prefix, "typo.conf")
    conf = open(conf_path).read()
    use = 'require("pylon_idv.openresty").header_filter("support")'
    assert conf.count(use) >= 1
    open(typo_path, "w").write(conf.replace(use, use.replace("support", "suport"), 1))
    lua_env = {"LUA_PATH": os.path.join(ROOT, "bindings", "lua", "?.lua") + ";;",
               "LUA_CPATH": os.path.join(cpath, "?.so") + ";;"}
    code = 'os.exit(require("pylon_idv.nginx_check").main{ os.getenv("CONF"), os.getenv("PREFIX") })'
    for label, path, overrides, want in (
            ("a missing support secret", conf_path, {"PYLON_SUPPORT_SECRET": None},
             'pylon_idv.E001: configuration "support": the environment variable '
             'PYLON_SUPPORT_SECRET'),
            ('a filter naming "suport", never configured', typo_path, {},
             'the configuration "suport", which init_by_lua does not make')):
        env = env_for(**overrides)
        t = subprocess.run(["nginx", "-t", "-p", ng.prefix + "/", "-c", path], env=env,
                           capture_output=True, text=True, timeout=30)
        check(t.returncode == 0 and "test is successful" in t.stderr,
              "nginx -t with %s: exit 0, \"test is successful\" (init_by_lua does not run "
              "under -t; got exit %d)" % (label, t.returncode))
        env.update(lua_env, CONF=path, PREFIX=ng.prefix)
        c = subprocess.run(["luajit", "-e", code], env=env, capture_output=True, text=True,
                           timeout=30)
        check(c.returncode == 1 and want in c.stderr and SECRET[:12] not in c.stderr
              and SUPPORT_SECRET[:12] not in c.stderr,
              "nginx_check with %s: exit 1, the problem named, no secret (got exit %d: %s)"
              % (label, c.returncode, c.stderr.strip().splitlines()[-1:]))
    env = env_for()
    env.update(lua_env, CONF=conf_path, PREFIX=ng.prefix)
    c = subprocess.run(["luajit", "-e", code], env=env, capture_output=True, text=True, timeout=30)
    check(c.returncode == 0 and "configurations made: default, support; used by the filters: "
          "default, support" in c.stderr,
          "nginx_check on the example: exit 0, both configurations made and used (got exit %d)"
          % c.returncode)


def reload_check(ng, conf_path, port):
    """A reload whose init_by_lua fails: the running configuration keeps serving."""
    r = ng.start(env_for())
    if not check(r.returncode == 0, "reload check: nginx starts"):
        return
    try:
        for _ in range(100):
            try:
                if get(port, "/support/")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.05)
        good = open(conf_path).read()
        old = 'os.getenv("PYLON_SUPPORT_APP_ID") or "YOUR_SUPPORT_APP_ID"'
        assert good.count(old) == 1
        open(conf_path, "w").write(good.replace(old, '"desk 2"'))
        pid = int(open(ng.pidfile).read())
        os.kill(pid, signal.SIGHUP)
        log, deadline = "", time.time() + 10
        while "pylon_idv.E005" not in log and time.time() < deadline:
            time.sleep(0.1)
            log = ng.logs()
        status, h, body = get(port, "/support/", {"Cookie": "demo_session=jane"})
        m = INSERT.search(body)
        check('pylon_idv.E005: configuration "support": app_id must be' in log and status == 200
              and m is not None and json.loads(m.group(1)) == expected_support("jane"),
              "reload with a failing init_by_lua: the error logged, the running configuration "
              "still serves /support/ (status %s)" % status)
        open(conf_path, "w").write(good)
    finally:
        ng.stop()


def streaming_split(port, app_port):
    """/split: the client must get the first part before the backend sends the second."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", "/split", headers={"Cookie": "demo_session=jane"})
        r = c.getresponse()
        headers = {k.lower(): v for k, v in r.getheaders()}
        first = r.read1(65536)
        while len(first) < 100:
            more = r.read1(65536)
            if not more:
                break
            first += more
        urllib.request.urlopen("http://127.0.0.1:%d/release" % app_port, timeout=5).read()
        rest = r.read()
    finally:
        c.close()
    return headers, first, rest


HOSTILE = os.path.join(ROOT, "tests", "vectors", "hostile")
CDN_HEADERS = [("Cache-Control", "public, max-age=600"), ("CDN-Cache-Control", "max-age=3600"),
               ("Surrogate-Control", "max-age=3600"), ("Cloudflare-CDN-Cache-Control", "max-age=60"),
               ("ETag", '"v1-abc"'), ("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT")]
DROPPED = ("content-length", "cdn-cache-control", "surrogate-control",
           "cloudflare-cdn-cache-control", "etag", "last-modified")
# per connection or per message, not part of "the headers GET would get"
HOP = ("date", "transfer-encoding", "connection", "keep-alive")
TEST_LOCATION = """
        # test only (test_openresty.py): a second backend, the example's filter lines
        location /t/ {
            auth_request /_auth;
            auth_request_set $pylon_email $upstream_http_x_auth_request_email;
            auth_request_set $pylon_name  $upstream_http_x_auth_request_preferred_username;
            proxy_pass http://127.0.0.1:%d;
            proxy_set_header Accept-Encoding "";
            header_filter_by_lua_block { require("pylon_idv.openresty").header_filter() }
            body_filter_by_lua_block   { require("pylon_idv.openresty").body_filter() }
        }

        location / {"""


# test only: a second server whose filter lines sit at server level (its locations inherit them)
TEST_SERVER = """
    server {
        listen 127.0.0.1:%d;
        header_filter_by_lua_block { require("pylon_idv.openresty").header_filter("support") }
        body_filter_by_lua_block   { require("pylon_idv.openresty").body_filter() }
        location /support/ {
            proxy_pass http://app;
            proxy_set_header Accept-Encoding "";
            proxy_set_header X-User-Email "";
            proxy_hide_header X-User-Email;
        }
    }
}
"""


LONGTAIL = (b"<!doctype html><html><body><p>one</p></body>\n" + b"<p>" + b"x" * (3 << 19)
            + b"</p></body></html>\n")


def corpus():
    """[(name, page as the backend sends it, page as it must arrive or None, meta)]"""
    out = []
    for path in sorted(glob.glob(os.path.join(HOSTILE, "*.html"))):
        name = os.path.basename(path)[:-5]
        text = open(path, "rb").read()
        meta = json.load(open(path[:-5] + ".json"))
        out.append((name, text.replace(b"@@PYLON@@", b""), text, meta))
    return out


class TestBackend(BaseHTTPRequestHandler):
    """/t/page, /t/json, /t/404, /t/gzip: with CDN_HEADERS; /t/csp?p=POLICY; /t/corpus/NAME
    (Content-Length) and /t/chunked/NAME (chunks of 7 bytes, flushed one by one)."""
    protocol_version = "HTTP/1.1"
    pages = {}

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.do_GET()

    def send(self, status, body, ctype, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        html = "text/html; charset=utf-8"
        doc = b"<!doctype html><html><head><title>t</title></head><body><p>t</p></body></html>\n"
        try:
            if url.path == "/t/page":
                self.send(200, doc, html, CDN_HEADERS)
            elif url.path == "/t/json":
                self.send(200, b'{"html": "</body>"}', "application/json", CDN_HEADERS)
            elif url.path == "/t/404":
                self.send(404, doc, html, CDN_HEADERS)
            elif url.path == "/t/gzip":
                self.send(200, gzip.compress(doc), html,
                          CDN_HEADERS + [("Content-Encoding", "gzip")])
            elif url.path == "/t/csp":             # one header per p=
                policies = urllib.parse.parse_qs(url.query)["p"]
                self.send(200, doc, html, [("Content-Security-Policy", p) for p in policies])
            elif url.path == "/t/longtail":         # </body>, 1.5 MiB, </body>
                self.send(200, LONGTAIL, html)
            elif url.path.startswith("/t/corpus/"):
                self.send(200, self.pages[url.path[10:]], html)
            elif url.path.startswith("/t/chunked/"):
                body = self.pages[url.path[11:]]
                self.send_response(200)
                self.send_header("Content-Type", html)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for i in range(0, len(body), 7):
                    part = body[i:i + 7]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.send(404, b"no\n", "text/plain")
        except (BrokenPipeError, ConnectionResetError):
            pass


def header_checks(port):
    jane = {"Cookie": "demo_session=jane"}
    seen = {}
    for who, hdrs in (("jane", jane), ("visitor", {})):
        for method in ("GET", "HEAD"):
            status, h, body = get(port, "/t/page", hdrs, method=method)
            label = "personalised page (%s, %s)" % (who, method)
            check(status == 200 and h.get("cache-control") == "private, no-store",
                  "%s: Cache-Control: private, no-store (got %r)" % (label, h.get("cache-control")))
            left = [k for k in DROPPED if k in h]
            check(not left, "%s: no CDN-Cache-Control, Surrogate-Control, "
                  "Cloudflare-CDN-Cache-Control, ETag, Last-Modified, Content-Length left%s"
                  % (label, "" if not left else " (left: %s)" % ", ".join(left)))
            check((method == "HEAD") == (body == b"") and
                  (method == "HEAD" or b'id="pylon-chat-settings"' in body),
                  "%s: %s" % (label, "no body" if method == "HEAD" else "the snippet inserted"))
            seen[who, method] = {k: v for k, v in h.items() if k not in HOP}
        check(seen[who, "GET"] == seen[who, "HEAD"],
              "personalised page (%s): HEAD gets exactly GET's headers (but %s) %r"
              % (who, "/".join(HOP), sorted(seen[who, "HEAD"].items())))
    for path, status_want, what in (("/t/json", 200, "JSON"), ("/t/404", 404, "404 HTML"),
                                    ("/t/gzip", 200, "gzip HTML")):
        direct = {}
        for method in ("GET", "HEAD"):
            status, h, body = get(port, path, jane, method=method)
            want = dict((k.lower(), v) for k, v in CDN_HEADERS)
            got = {k: h.get(k) for k in want}
            check(status == status_want and got == want and h.get("content-length") is not None,
                  "untouched %s (%s): the backend's cache headers, ETag, Last-Modified and "
                  "Content-Length kept (%r)" % (what, method, got if got != want else ""))
            direct[method] = body
        check(direct["HEAD"] == b"" and b"pylon-chat-settings" not in direct["GET"],
              "untouched %s: nothing inserted, HEAD without a body" % what)


def nonce_checks(port, prefix):
    jane = {"Cookie": "demo_session=jane"}
    tag = re.compile(rb'<script src="/_pylon_idv/pylon-chat\.js"( nonce="([^"]*)")?></script>')

    def inserted(policy, *more):
        query = "&".join("p=" + urllib.parse.quote(p) for p in (policy,) + more)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/t/csp?" + query, headers=jane)
        r = c.getresponse()
        got = r.msg.get_all("Content-Security-Policy")
        body = r.read()
        c.close()
        m = tag.search(body)
        check(r.status == 200 and got == [policy, *more] and m is not None,
              "CSP %r: the page passes with its policy and gets the script tag" % (
                  " + ".join((policy,) + more)[:70]))
        return m and m.group(2)

    nonce = "R4nd0m+/=_-Nonce"
    got = inserted("default-src 'self'; script-src 'nonce-%s' 'strict-dynamic'" % nonce)
    check(got == nonce.encode(), "CSP with a nonce: the inserted <script src> carries it (%r)" % got)
    got = inserted("script-src-elem 'nonce-elem1'; script-src 'nonce-other'")
    check(got == b"elem1", "CSP: script-src-elem's nonce before script-src's (%r)" % got)
    got = inserted("img-src 'self'", "script-src 'nonce-second' 'strict-dynamic'")
    check(got == b"second", "CSP in two headers: the nonce of the one that has it (%r)" % got)
    for bad in ("'nonce-a\"b' 'self'", "'nonce-<i>' 'self'", "'nonce-%s' 'self'" % ("a" * 257)):
        got = inserted("script-src " + bad)
        check(got is None, "CSP with a malformed nonce %r: no nonce copied (%r)" % (bad[:20], got))
    log = os.path.join(prefix, "logs", "error.log")
    before = open(log, errors="replace").read()
    for _ in range(4):
        inserted("script-src 'none'")
    new = open(log, errors="replace").read()[len(before):]
    lines = [l for l in new.splitlines() if "Content-Security-Policy blocks" in l]
    workers = 2       # the example's worker_processes: at most one line per worker
    check(1 <= len(lines) <= workers and all("[warn]" in l and "script-src directive" in l
                                              for l in lines),
          "CSP script-src 'none': logged at most once per worker, naming script-src (%d line(s))"
          % len(lines))


def longtail_check(port, insert):
    """More than the 1 MiB the filter holds after a </body>: the snippet goes in at the held
    one, and the rest (a later </body> too) streams on unchanged."""
    status, h, body = get(port, "/t/longtail", {"Cookie": "demo_session=jane"})
    at = LONGTAIL.find(b"</body>")
    check(status == 200 and body == LONGTAIL[:at] + insert + LONGTAIL[at:],
          "a later </body> more than 1 MiB after the first: inserted at the first, the rest "
          "byte for byte (%d bytes)" % len(body))


def corpus_checks(port, insert, user_email, user_hash, browser):
    pages = corpus()
    for name, served, text, meta in pages if browser is None else ():
        want = text.replace(b"@@PYLON@@", insert) if b"@@PYLON@@" in text else served
        check((b"@@PYLON@@" in text) == (meta["data"] != "none"),
              "corpus %s: @@PYLON@@ present exactly when its data mode is not 'none'" % name)
        for path in ("/t/corpus/", "/t/chunked/"):
            status, h, body = get(port, path + name, {"Cookie": "demo_session=jane"})
            check(status == 200 and body == want,
                  "corpus %s via %s: exactly the page with the snippet at @@PYLON@@%s"
                  % (name, path, "" if body == want else " (got %d bytes, want %d)"
                     % (len(body), len(want))))
    if browser is None:
        check(len(pages) >= 9, "the hostile corpus: %d pages" % len(pages))
        return
    # In Chromium, by the corpus's own checks (tests/integration/hostile.py: the page's script
    # ran, chat_settings exactly jane's or unset, one widget script for the app id or none,
    # one warning for a refused page, the hash and email in no attribute, form value or post),
    # which read the document through its prototypes, as named elements can shadow document.*
    import hostile
    by_name = {p.name: p for p in hostile.load()}
    base = "http://127.0.0.1:%d" % port
    browser.evaluate(base + "/oauth2/sign_in?user=jane", "1")
    for name, served, text, meta in pages:
        status, h, body = get(port, "/t/corpus/" + name, {"Cookie": "demo_session=jane"})
        problems = hostile.check(browser, base + "/t/corpus/" + name, by_name[name], "data",
                                 expected_settings("jane"), served=body,
                                 secrets=(user_hash, user_email))
        check(not problems, "Chromium, corpus %s (%s): %s" % (
            name, meta["data"], "; ".join(problems) if problems else
            "as the corpus expects (page script ran, settings, widget, no leak)"))


def main():
    global CHAT_JS
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cpath = os.path.abspath(sys.argv[1])
    # the one source file of pylon-chat.js (the wheel and the rock ship copies of it)
    CHAT_JS = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.path.join(
        ROOT, "web", "pylon-chat.js")
    js = open(CHAT_JS, "rb").read()
    prefix = tempfile.mkdtemp(prefix="pylon_idv_openresty.")
    os.chmod(prefix, 0o755)
    for d in ("logs", "temp"):
        os.mkdir(os.path.join(prefix, d))
    port, app_port, auth_port = free_port(), free_port(), free_port()
    conf = open(os.path.join(EXAMPLE, "nginx.conf")).read()
    lua_path = os.environ.get("EXTRA_LUA_PATH", "") + os.path.join(ROOT, "bindings", "lua",
                                                                    "?.lua") + ";;"
    for old, new in (("listen 127.0.0.1:8080;", "listen 127.0.0.1:%d;" % port),
                     ("server 127.0.0.1:9000;", "server 127.0.0.1:%d;" % app_port),
                     ("server 127.0.0.1:4180;", "server 127.0.0.1:%d;" % auth_port)):
        assert conf.count(old) == 1, old
        conf = conf.replace(old, new)
    test_port = free_port()
    assert conf.count("        location / {") == 1
    conf = conf.replace("        location / {", TEST_LOCATION.strip("\n") % test_port)
    server_port = free_port()
    assert conf.endswith("    }\n}\n")
    conf = conf[:-2] + TEST_SERVER.lstrip("\n") % server_port
    conf, n1 = re.subn(r"lua_package_path '[^']*';", "lua_package_path '%s';" % lua_path, conf)
    conf, n2 = re.subn(r"lua_package_cpath '[^']*';", "lua_package_cpath '%s/?.so;;';" % cpath, conf)
    assert n1 == n2 == 1
    conf_path = os.path.join(prefix, "nginx.conf")
    open(conf_path, "w").write(conf)
    ng = Nginx(prefix, conf_path)
    services = subprocess.Popen([sys.executable, os.path.join(EXAMPLE, "demo_services.py"),
                                 "--app-port", str(app_port), "--auth-port", str(auth_port)],
                                stdout=subprocess.DEVNULL)
    TestBackend.pages = {name: served for name, served, _, _ in corpus()}
    test_backend = ThreadingHTTPServer(("127.0.0.1", test_port), TestBackend)
    test_backend.daemon_threads = True
    threading.Thread(target=test_backend.serve_forever, daemon=True).start()
    try:
        bad_configs(ng)
        nginx_t_checks(ng, conf_path, cpath)
        r = ng.start(env_for())
        if not check(r.returncode == 0, "nginx starts with the example's configuration"):
            print(r.stderr, ng.logs())
            return
        # The backend and the auth service first (nginx answers 502 until they listen), then
        # nginx; bounded, and a services process that died is reported, not waited for.
        for p_ in (app_port, auth_port, port):
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", p_), timeout=1).close()
                    break
                except OSError:
                    if services.poll() is not None:
                        raise SystemExit("demo_services.py exited with %s" % services.returncode)
                    time.sleep(0.05)
        orig = {p: get(app_port, p)[2] for p in ("/", "/big", "/gzip", "/json", "/fragment",
                                                 "/evil")}
        check(len(orig["/big"]) == 1 << 20, "the backend's /big page is 1 MiB")

        for user, headers, label in [
                (None, {}, "visitor"),
                ("jane", {"Cookie": "demo_session=jane"}, "jane (session)"),
                ("jorg", {"Cookie": "demo_session=jorg"}, "jörg (session, UTF-8 email)"),
                (None, {"X-Auth-Request-Email": "victim@example.com",
                        "X-Auth-Request-Preferred-Username": "Victim"},
                 "visitor sending X-Auth-Request-Email itself"),
                ("jane", {"Cookie": "demo_session=jane",
                          "X-Auth-Request-Email": "victim@example.com"},
                 "jane sending X-Auth-Request-Email: victim")]:
            status, h, body = get(port, "/", headers)
            check(status == 200 and "content-length" not in h,
                  "/ as %s: 200, no Content-Length left (%s)" % (label, h.get("transfer-encoding")))
            check(h.get("content-security-policy") == PYLON_CSP,
                  "/ as %s: the backend's CSP passes" % label)
            check_insert("/ as " + label, body, orig["/"], user)
            check(h.get("cache-control") == "private, no-store",
                  "/ as %s: Cache-Control: private, no-store" % label)
        support_checks(port, app_port)
        status, h, body = get(server_port, "/support/", {"Cookie": "demo_session=jane"})
        check_insert("a server whose filter lines name \"support\" at server level: its "
                     "location /support/ as jane", body, get(app_port, "/support/")[2], "jane",
                     expected_support)
        status, h, body = get(port, "/evil")
        check_insert("/evil (the backend's response claims victim@example.com)", body,
                     orig["/evil"], None)

        status, h, body = get(port, "/big", {"Cookie": "demo_session=jane"})
        check_insert("/big, 1 MiB", body, orig["/big"], "jane")
        check("content-length" not in h, "/big: no Content-Length left")

        h, first, rest = streaming_split(port, app_port)
        whole = first + rest
        check(0 < len(first) and b"pylon-chat-settings" not in first,
              "/split: %d bytes reached the client before the backend sent the rest "
              "(the filter streams)" % len(first))
        import importlib.util
        spec = importlib.util.spec_from_file_location("demo_services",
                                                      os.path.join(EXAMPLE, "demo_services.py"))
        demo = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(demo)
        part1, part2 = demo.SPLIT
        check(part1.endswith(b"</bo") and part2.startswith(b"dy>") and len(first) <= len(part1)
              and first == part1[:len(first)],
              "/split: the backend's first chunk ends in '</bo', the second starts 'dy>'; the "
              "client's first bytes are the first chunk's")
        check_insert("/split, </body> across two chunks", whole, part1 + part2, "jane")
        check(h.get("transfer-encoding") == "chunked" and "content-length" not in h,
              "/split: chunked, no Content-Length")

        status, h, body = get(port, "/gzip", {"Cookie": "demo_session=jane"})
        check(body == orig["/gzip"] and h.get("content-encoding") == "gzip"
              and gzip.decompress(body).count(b"pylon-chat-settings") == 0,
              "/gzip: the compressed body passes through untouched")
        for p, what in (("/json", "JSON"), ("/fragment", "HTML without </body>")):
            status, h, body = get(port, p, {"Cookie": "demo_session=jane"})
            check(body == orig[p] and h.get("content-length") in (None, str(len(body))),
                  "%s (%s): untouched, no stale Content-Length" % (p, what))
        status, h, body = get(port, "/", {"Cookie": "demo_session=jane"}, method="HEAD")
        check(status == 200 and body == b"", "HEAD /: answered, no body (%s %r)" % (status, body[:80]))

        status, h, body = get(port, "/_pylon_idv/pylon-chat.js")
        check(status == 200 and body == js and "javascript" in h.get("content-type", ""),
              "/_pylon_idv/pylon-chat.js: the package's file, same origin (%s)"
              % h.get("content-type"))

        header_checks(port)
        nonce_checks(port, prefix)
        m = INSERT.search(get(port, "/", {"Cookie": "demo_session=jane"})[2])
        jane_insert = m.group(0)
        check(json.loads(m.group(1)) == expected_settings("jane"),
              "the snippet for jane, for the corpus: the reference settings")
        corpus_checks(port, jane_insert, USERS["jane"][0], reference_hash(USERS["jane"][0]), None)
        longtail_check(port, jane_insert)

        with Browser() as browser:
            expr = ("JSON.stringify({s: window.pylon && window.pylon.chat_settings, widget: "
                    "!!document.querySelector('script[src=\"https://widget.usepylon.com/widget/"
                    + APP_ID + "\"]')})")
            base = "http://127.0.0.1:%d" % port
            for path, user in (("/", None), ("/oauth2/sign_in?user=jane", "jane"),
                               ("/oauth2/sign_in?user=jorg", "jorg"),
                               ("/oauth2/sign_out", None)):
                got = json.loads(browser.evaluate(base + path, expr))
                check(got["s"] == expected_settings(user),
                      "Chromium, %s: window.pylon.chat_settings %s under the backend's CSP (got %r)"
                      % (path, "= app id only" if user is None else "for " + user, got["s"]))
                check(got["widget"], "Chromium, %s: the widget's script element is in the DOM"
                      % path)
            # two apps in one nginx: /support/ (configuration "support") beside / ("default")
            browser.evaluate(base + "/oauth2/sign_in?user=jane", "1")
            for path, want, app in (("/support/", expected_support("jane"), SUPPORT_APP_ID),
                                    ("/", expected_settings("jane"), APP_ID)):
                got = json.loads(browser.evaluate(base + path, expr.replace(APP_ID, app)))
                check(got["s"] == want and got["widget"],
                      "Chromium, %s signed in as jane: chat_settings for the app %s (its own "
                      "secret's hash) and its widget element (got %r)" % (path, app, got))
            # a nonce-only policy (strict-dynamic: pylon-chat.js may load the widget)
            browser.evaluate(base + "/oauth2/sign_in?user=jane", "1")
            policy = "script-src 'nonce-Zm9vYmFy' 'strict-dynamic'; object-src 'none'"
            got = json.loads(browser.evaluate(base + "/t/csp?p=" + urllib.parse.quote(policy), expr))
            check(got["s"] == expected_settings("jane") and got["widget"],
                  "Chromium, CSP %r: pylon-chat.js ran with the copied nonce, settings for jane "
                  "and the widget's script element (got %r)" % (policy, got))
            corpus_checks(port, jane_insert, USERS["jane"][0],
                          reference_hash(USERS["jane"][0]), browser)
        ng.stop()
        log = ng.logs() + open(os.path.join(prefix, "logs", "error.log")).read()
        bad = [l for l in log.splitlines() if re.search(r"\[(error|alert|crit|emerg)\]", l)]
        check(not bad, "error log clean (no error/alert/crit/emerg)%s" % (
            "" if not bad else ": " + " | ".join(bad[:3])))
        check("pylon_idv.openresty: identity secret" in log and SECRET[:12] not in log,
              "the start-up log names the secret by its fingerprint only")
        reload_check(ng, conf_path, port)
    finally:
        ng.stop()
        test_backend.shutdown()
        services.terminate()
        services.wait(10)
        if failures == 0 or not os.environ.get("KEEP"):
            shutil.rmtree(prefix, ignore_errors=True)
    print("test_openresty: %d passed, %d failed" % (checks - failures, failures))


if __name__ == "__main__":
    main()
    sys.exit(1 if failures or not checks else 0)
