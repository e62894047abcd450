#!/usr/bin/env python3
"""The CSP merge helpers in Chromium: a page under a policy built by pylon_idv.csp shows no
Content-Security-Policy violation for any source the widget needs.

    test_csp_browser.py VENV_BIN

For each base policy a site might have (Django 6's SECURE_CSP with a nonce, django-csp's
DIRECTIVES, flask-talisman's dict, a strict header text), VENV_BIN/python builds the merged
policy with pylon_idv.csp (merge_secure_csp, merge_django_csp, merge_talisman, merge). A page
served under it on 127.0.0.1 makes one request of every kind the widget makes, to every source
of pylon_idv.csp_sources() (a wildcard host becomes a name under it): fetch and WebSocket
(connect-src), a <script src> (script-src), a FontFace (font-src), a stylesheet and an inline
<style> (style-src), an <img> (img-src). The widget's hosts are unreachable here (Chromium maps
every other host to NOTFOUND), so what is checked is the policy, not the load: the page's
securitypolicyviolation events, recorded from before the page runs. Under the merged policy:
none. Under the base policy (the control): a violation in each directive the base policy
restricts, with the policy the browser reports equal to the header sent.
"""
import http.server
import json
import os
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import Browser  # noqa: E402

checks = failures = 0


def check(cond, what):
    global checks, failures
    checks += 1
    failures += 0 if cond else 1
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    return cond


BUILD = r'''
import json, sys
import pylon_idv, pylon_idv.csp as c
bases = [
    ("Django 6 SECURE_CSP", "merge_secure_csp",
     {"default-src": ["'self'"], "script-src": ["'self'", "<CSP_NONCE_SENTINEL>"]}),
    ("django-csp DIRECTIVES", "merge_django_csp",
     {"DIRECTIVES": {"default-src": ["'self'"], "img-src": ["'self'", "data:"]}}),
    ("flask-talisman", "merge_talisman", {"default-src": "'self'", "style-src": "'self'"}),
    ("strict header", "merge", "default-src 'none'; script-src 'self'; connect-src 'self'"),
]
out = []
for label, fn, base in bases:
    merged = getattr(c, fn)(base)
    directives = merged["DIRECTIVES"] if fn == "merge_django_csp" else merged
    base_d = base["DIRECTIVES"] if fn == "merge_django_csp" else base
    def text(d):
        d = c.parse(d) if isinstance(d, str) else d
        return c.header({k: [s for s in c._sources(v) if s != "<CSP_NONCE_SENTINEL>"]
                         for k, v in d.items()})
    out.append({"label": label, "base": text(base_d), "merged": text(directives),
                "left": c.blocked(directives)})
print(json.dumps({"policies": out, "sources": pylon_idv.csp_sources()}))
'''

PROBE = r'''
(function () {
  var t = JSON.parse(document.getElementById("targets").textContent);
  t.connect.forEach(function (u) {
    if (u.indexOf("wss:") === 0) { try { new WebSocket(u); } catch (e) {} }
    else { fetch(u).catch(function () {}); }
  });
  t.script.forEach(function (u) {
    var s = document.createElement("script"); s.src = u; document.head.appendChild(s); });
  t.font.forEach(function (u) {
    new FontFace("probe", "url(" + u + ")").load().catch(function () {}); });
  t.style.forEach(function (u) {
    var l = document.createElement("link"); l.rel = "stylesheet"; l.href = u;
    document.head.appendChild(l); });
  if (t.inline_style) {
    var st = document.createElement("style"); st.textContent = "h1 { color: teal; }";
    document.head.appendChild(st); }
  t.img.forEach(function (u) { var i = new Image(); i.src = u; document.body.appendChild(i); });
})();
'''

RECORD = ("window.__violations = [];"
          "document.addEventListener('securitypolicyviolation', function (e) {"
          " window.__violations.push({d: e.effectiveDirective, u: e.blockedURI,"
          " p: e.originalPolicy}); });")
READ = ("new Promise(function (r) { setTimeout(function () {"
        " r(JSON.stringify(window.__violations)); }, 800); })")


def targets(sources):
    """A URL of every widget source, per directive (wildcards made concrete)."""
    def urls(directive, path):
        out = []
        for s in sources[directive]:
            if "://" in s:
                out.append(s.replace("*.", "assets.") + path)
        return out
    return {"connect": urls("connect-src", "/probe"), "script": urls("script-src", "/widget/p"),
            "font": urls("font-src", "/f.woff2"), "style": urls("style-src", "/s.css"),
            "inline_style": "'unsafe-inline'" in sources["style-src"],
            "img": urls("img-src", "/a.png")}


def serve(pages):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/probe.js":
                body, ctype, policy = PROBE.encode(), "text/javascript", None
            elif self.path.lstrip("/") in pages:
                policy, body = pages[self.path.lstrip("/")]
                body, ctype = body.encode(), "text/html; charset=utf-8"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            if policy:
                self.send_header("Content-Security-Policy", policy)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    py = os.path.join(os.path.abspath(sys.argv[1]), "python")
    built = json.loads(subprocess.run([py, "-c", BUILD], capture_output=True, text=True,
                                      check=True).stdout)
    tg = targets(built["sources"])
    hosts = sum(1 for v in built["sources"].values() for s in v if "://" in s)
    check(sum(len(v) for k, v in tg.items() if k != "inline_style") == hosts >= 8,
          "a probe for every one of the %d host sources of pylon_idv.csp_sources()" % hosts)
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>csp</title></head><body>"
            "<h1>csp probe</h1><script type='application/json' id='targets'>%s</script>"
            "<script src='/probe.js'></script></body></html>" % json.dumps(tg))
    pages = {}
    for i, p in enumerate(built["policies"]):
        pages["merged%d" % i] = (p["merged"], page)
        pages["base%d" % i] = (p["base"], page)
    server = serve(pages)
    url = "http://127.0.0.1:%d/" % server.server_address[1]
    try:
        with Browser() as browser:
            for i, p in enumerate(built["policies"]):
                label = p["label"]
                check(p["left"] == [], "%s: pylon_idv.csp.blocked() finds nothing left in the "
                      "merged policy (%r)" % (label, p["left"]))
                got = json.loads(browser.evaluate(url + "merged%d" % i, READ, before=RECORD,
                                                  await_promise=True))
                check(got == [], "%s: no CSP violation for any widget source under the merged "
                      "policy %r (got %r)" % (label, p["merged"], got))
                got = json.loads(browser.evaluate(url + "base%d" % i, READ, before=RECORD,
                                                  await_promise=True))
                directives = sorted({v["d"] for v in got})
                check(len(directives) == 5 and all(v["p"] == p["base"] for v in got),
                      "control, %s: the base policy %r is what the browser reports, and it "
                      "blocks the widget (%s)" % (label, p["base"], ", ".join(directives)))
    finally:
        server.shutdown()
    print("test_csp_browser: %d passed, %d failed" % (checks - failures, failures))
    sys.exit(1 if failures or not checks else 0)


if __name__ == "__main__":
    main()
