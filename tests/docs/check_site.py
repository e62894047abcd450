"""The built site as a reader meets it, in headless Chromium (tests/integration/browser.py).

    /usr/bin/python3 tests/docs/check_site.py SITE_DIR SCREENSHOT_DIR

Serves SITE_DIR on 127.0.0.1 (a free port), opens the home page, and follows the navigation:
every link of the primary navigation of every page reached, until no new page appears. Each
page must answer 200, show its title (an h1), and cause no console error, no uncaught
exception and no failed or >= 400 request. Every page of the sitemap must be reached through
the navigation. The search, opened with ?q=email_hash, must list results whose text holds
"email_hash". Screenshots of the home page and the Django page go to SCREENSHOT_DIR
(docs-home.png, docs-django.png). Prints "N passed, M failed"; exit 1 on any failure.
Needs Debian's chromium and python3-websocket.
"""
import base64
import functools
import http.server
import json
import os
import re
import sys
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from browser import Browser, free_port  # noqa: E402

import websocket  # noqa: E402  (Debian: python3-websocket)


class Tab:
    """One DevTools target with Page, Network, Runtime and Log events recorded."""

    def __init__(self, browser):
        self.browser = browser
        self.target = browser._json("/json/new?about:blank", method="PUT")
        self.ws = websocket.create_connection(self.target["webSocketDebuggerUrl"], timeout=30)
        self.ids = iter(range(1, 1 << 30))
        self.events = []
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.call(domain + ".enable")
        self.call("Emulation.setDeviceMetricsOverride", width=1280, height=900,
                  deviceScaleFactor=1, mobile=False)

    def call(self, method, **params):
        i = next(self.ids)
        self.ws.send(json.dumps({"id": i, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == i:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg["result"]
            self.events.append(msg)

    def open(self, url, timeout=30):
        self.events = []
        self.call("Page.navigate", url=url)
        deadline = time.time() + timeout
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            if time.time() > deadline:
                raise RuntimeError("page did not load: " + url)
            self.events.append(json.loads(self.ws.recv()))

    def js(self, expression, await_promise=False):
        res = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                        awaitPromise=await_promise)
        if "exceptionDetails" in res:
            raise RuntimeError("evaluate failed: %s" % res["exceptionDetails"])
        return res["result"].get("value")

    def problems(self):
        """Console errors, exceptions, failed requests and error statuses since open()."""
        out = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console.%s: %s" % (p["type"], " ".join(
                    str(a.get("value", a.get("description", ""))) for a in p.get("args", []))))
            elif m == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                out.append("exception: %s" % ((d.get("exception") or {}).get("description")
                                              or d.get("text")))
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append("log: %s %s" % (p["entry"].get("text"), p["entry"].get("url", "")))
            elif m == "Network.loadingFailed" and not p.get("canceled"):
                out.append("request failed: %s" % p.get("errorText"))
            elif m == "Network.responseReceived" and p["response"]["status"] >= 400:
                out.append("HTTP %d: %s" % (p["response"]["status"], p["response"]["url"]))
        return out

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        self.ws.close()
        try:
            self.browser._json("/json/close/" + self.target["id"])
        except (OSError, ValueError):
            pass


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def handle(self):
        try:
            super().handle()
        except ConnectionError:      # the browser dropped a connection it no longer needed
            pass


NAV_LINKS = """Array.from(document.querySelectorAll('nav.md-nav--primary a.md-nav__link[href]'))
  .map(a => a.href)"""

SEARCH = """new Promise(resolve => {
  const t0 = Date.now();
  (function poll() {
    const items = Array.from(document.querySelectorAll('.md-search-result__item'));
    if (items.length || Date.now() - t0 > 15000)
      resolve(items.map(i => i.textContent.replace(/\\s+/g, ' ').trim()));
    else setTimeout(poll, 200);
  })();
})"""


def main(site, shots):
    os.makedirs(shots, exist_ok=True)
    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port),
                                             functools.partial(Quiet, directory=site))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d/" % port
    passed, failed = 0, []

    def check(ok, what):
        nonlocal passed
        if ok:
            passed += 1
        else:
            failed.append(what)
            print("FAIL:", what)

    sitemap = open(os.path.join(site, "sitemap.xml"), encoding="utf-8").read()
    pages = {urllib.parse.urlparse(u).path for u in re.findall(r"<loc>([^<]+)</loc>", sitemap)}
    pages = {p if p.startswith("/") else "/" + p for p in pages}
    try:
        with Browser() as b:
            tab = Tab(b)
            try:
                todo, seen = ["/"], set()
                while todo:
                    path = todo.pop(0)
                    if path in seen:
                        continue
                    seen.add(path)
                    url = base + path.lstrip("/")
                    with urllib.request.urlopen(url, timeout=10) as r:
                        check(r.status == 200, "%s answers %d" % (path, r.status))
                    tab.open(url)
                    title = tab.js("(document.querySelector('article h1') || {}).textContent")
                    check(bool(title and title.strip()), "%s shows a title" % path)
                    probs = tab.problems()
                    check(not probs, "%s loads cleanly: %s" % (path, probs))
                    print("page %-28s %s" % (path, (title or "").strip().rstrip("\u00b6")))
                    if path == "/":
                        tab.screenshot(os.path.join(shots, "docs-home.png"))
                    if path == "/django/":
                        tab.screenshot(os.path.join(shots, "docs-django.png"))
                    for link in tab.js(NAV_LINKS) or []:
                        u = urllib.parse.urlparse(link)
                        if u.netloc == "127.0.0.1:%d" % port and u.path not in seen:
                            todo.append(u.path)
                missing = sorted(pages - seen)
                check(not missing, "every page is reached through the navigation: %s" % missing)
                check(len(seen) >= 18, "the navigation reaches %d pages" % len(seen))
                tab.open(base + "?q=email_hash")
                results = tab.js(SEARCH, await_promise=True) or []
                print("search email_hash: %d results; first: %s" % (
                    len(results), results[0][:100] if results else None))
                check(any("email_hash" in r for r in results),
                      "the search finds email_hash")
                check(not tab.problems(), "the search runs cleanly: %s" % tab.problems())
                for name in ("docs-home.png", "docs-django.png"):
                    path = os.path.join(shots, name)
                    check(os.path.getsize(path) > 10000 if os.path.exists(path) else False,
                          "screenshot " + path)
            finally:
                tab.close()
    finally:
        server.shutdown()
    print("screenshots: %s, %s" % (os.path.join(shots, "docs-home.png"),
                                   os.path.join(shots, "docs-django.png")))
    print("%d passed, %d failed" % (passed, len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
