"""Headless Chromium, driven over the DevTools protocol, reads what a live page set.

    with Browser() as b:
        value = b.evaluate("http://127.0.0.1:8080/", "JSON.stringify(window.pylon)")

Debian's chromium, headless, with the flags this machine needs (no sandbox as root, no
background networking: the network is closed); a fresh profile in a temporary directory.
Only 127.0.0.1 is used. Needs python3-websocket (Debian).
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

import websocket  # Debian: python3-websocket


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise RuntimeError("chromium not found: install Debian's chromium (scripts/install-deps.sh)")


class Browser:
    def __init__(self):
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="pylon-chromium-")
        self.proc = None

    def __enter__(self):
        args = [find_chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-quic", "--no-first-run",
                "--disable-dev-shm-usage", "--remote-debugging-address=127.0.0.1",
                # the network is closed: fail every other host at once rather than wait for
                # DNS timeouts (a page's load event waits for the widget's script to fail)
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--remote-debugging-port=%d" % self.port,
                # newer Chromium refuses a DevTools websocket whose Origin it was not told of
                "--remote-allow-origins=http://127.0.0.1:%d" % self.port,
                "--user-data-dir=" + self.profile, "about:blank"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while True:
            try:
                self._json("/json/version")
                return self
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    self.__exit__(None, None, None)
                    raise RuntimeError("chromium did not start")
                time.sleep(0.2)

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def _json(self, path, method="GET"):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), method=method)
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read().decode())

    def evaluate(self, url, expression, timeout=20, before=None, await_promise=False):
        """Open url in a new tab, wait for the load event, return the expression's value.
        before: a script run in every new document ahead of the page's own (DevTools'
        Page.addScriptToEvaluateOnNewDocument: not subject to the page's CSP).
        await_promise: the expression is a Promise; its value is returned."""
        return self.visit(url, expression, timeout, before, await_promise)["value"]

    def visit(self, url, expression, timeout=20, before=None, await_promise=False):
        """As evaluate, and what the page did on the way, as a dict:
        value      the expression's value
        requests   the URL of every request the tab sent (Network.requestWillBeSent)
        console    [(type, text, url of the calling script), ...] for console.* calls
        exceptions [text, ...] for uncaught exceptions (Runtime.exceptionThrown)"""
        target = self._json("/json/new?about:blank", method="PUT")
        ws = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=timeout)
        try:
            ids = iter(range(1, 1 << 30))

            def call(method, **params):
                i = next(ids)
                ws.send(json.dumps({"id": i, "method": method, "params": params}))
                while True:
                    msg = json.loads(ws.recv())
                    if msg.get("id") == i:
                        if "error" in msg:
                            raise RuntimeError("%s: %s" % (method, msg["error"]))
                        return msg["result"]
                    events.append(msg)

            events = []
            call("Page.enable")
            call("Network.enable")
            call("Runtime.enable")
            if before:
                call("Page.addScriptToEvaluateOnNewDocument", source=before)
            call("Page.navigate", url=url)
            deadline = time.time() + timeout
            while not any(e.get("method") == "Page.loadEventFired" for e in events):
                if time.time() > deadline:
                    raise RuntimeError("page did not load: " + url)
                events.append(json.loads(ws.recv()))
            res = call("Runtime.evaluate", expression=expression, returnByValue=True,
                       awaitPromise=bool(await_promise))
            if "exceptionDetails" in res:
                raise RuntimeError("evaluate failed: %s" % res["exceptionDetails"])
            out = {"value": res["result"].get("value"), "requests": [], "console": [],
                   "exceptions": []}
            for e in events:
                m, p = e.get("method"), e.get("params", {})
                if m == "Network.requestWillBeSent":
                    out["requests"].append(p["request"]["url"])
                elif m == "Runtime.consoleAPICalled":
                    frames = (p.get("stackTrace") or {}).get("callFrames") or [{}]
                    text = " ".join(str(a.get("value", a.get("description", "")))
                                    for a in p.get("args", []))
                    out["console"].append((p.get("type"), text, frames[0].get("url", "")))
                elif m == "Runtime.exceptionThrown":
                    d = p.get("exceptionDetails", {})
                    out["exceptions"].append((d.get("exception") or {}).get("description")
                                             or d.get("text", "exception"))
            return out
        finally:
            ws.close()
            try:
                self._json("/json/close/" + target["id"])
            except (OSError, ValueError):
                pass
