#!/usr/bin/env python3
"""The two services behind the OpenResty proxy example: a web app that knows nothing of Pylon,
and a stand-in for oauth2-proxy's auth endpoint. Standard library only; 127.0.0.1 only.

    python3 examples/openresty-proxy/demo_services.py [--app-port 9000] [--auth-port 4180]

The app (any backend: PHP, Rails, static files would do):
    /            an HTML page, sent with Pylon's documented CSP
    /big         a 1 MiB HTML page           /split   a chunked page whose </body> is split
    /gzip        gzip-compressed HTML        /json    JSON that contains "</body>"
    /fragment    HTML with no </body>        /evil    a page whose response claims an identity
                                                      (X-Auth-Request-Email): must be ignored
/split sends its first part, then waits until GET /release (bounded: 10 s), then the rest.
    /support/    the help desk's page (a second Pylon app): the backend itself names the
                 signed-in user (the demo session cookie) in its X-User-Email response header


The auth service, as oauth2-proxy's /oauth2/auth answers nginx's auth_request: 202 with
X-Auth-Request-Email and X-Auth-Request-Preferred-Username for a signed-in demo user, and 202
with no identity for a visitor (oauth2-proxy itself answers 401 there: see the README).
/oauth2/sign_in?user=jane sets the demo session cookie, /oauth2/sign_out clears it. DEMO ONLY:
the cookie is the user's name, unsigned; the real oauth2-proxy signs and encrypts its session.
"""
import argparse
import gzip
import threading
from http import cookies
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PYLON_CSP = "script-src 'self' https://widget.usepylon.com"
USERS = {"jane": ("jane@example.com", "Jane Doe"),
         "jorg": ("jörg+chat@exämple.com", "Jörg")}


def page(title, filler=""):
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>%s</title>"
            "</head>\n<body>\n<h1>%s</h1>\n<p>This app knows nothing of Pylon; nginx adds the "
            "chat settings.</p>\n%s</body>\n</html>\n" % (title, title, filler)).encode()


def big_page():
    """Exactly 1 MiB of HTML, its </body> at the very end."""
    line = "<p>%06d lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod</p>\n"
    out, size, n = [], len(page("big")) + 7, 0
    while size + len(line % n) < 1 << 20:
        out.append(line % n)
        size += len(out[-1])
        n += 1
    pad = "<!--" + "x" * ((1 << 20) - size) + "-->"
    return page("big", "".join(out) + pad)


BIG = big_page()
_SPLIT = page("split", "<p>%s</p>\n" % ("filler " * 1200))    # past nginx's postpone_output
SPLIT = (_SPLIT[:-len(b"dy>\n</html>\n")], b"dy>\n</html>\n")   # "...</bo" | "dy>..."
release = threading.Event()


def header_value(s):
    return s.encode("utf-8").decode("latin-1")          # UTF-8 bytes on the wire


class App(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, body, ctype="text/html; charset=utf-8", extra=()):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", PYLON_CSP)
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        try:
            self.route(urlsplit(self.path).path)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def route(self, path):
        if path.startswith("/support/"):
            jar = cookies.SimpleCookie(self.headers.get("Cookie", ""))
            session = jar["demo_session"].value if "demo_session" in jar else None
            who = [("X-User-Email", header_value(USERS[session][0]))] if session in USERS else []
            self.send(page("help desk"), extra=who)
        elif path == "/":
            self.send(page("pylon_idv OpenResty proxy example"))
        elif path == "/big":
            self.send(BIG)
        elif path == "/gzip":
            self.send(gzip.compress(page("gzip"), mtime=0), extra=[("Content-Encoding", "gzip")])
        elif path == "/json":
            self.send(b'{"html": "</body>"}', "application/json")
        elif path == "/fragment":
            self.send(b"<p>a fragment, no body tag</p>\n")
        elif path == "/evil":
            self.send(page("evil"), extra=[("X-Auth-Request-Email", "victim@example.com")])
        elif path == "/release":
            release.set()
            self.send(b"released\n", "text/plain")
        elif path == "/split":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i, part in enumerate(SPLIT):
                if i == 1:
                    release.wait(10)
                    release.clear()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_error(404)


class Auth(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        url = urlsplit(self.path)
        jar = cookies.SimpleCookie(self.headers.get("Cookie", ""))
        session = jar["demo_session"].value if "demo_session" in jar else None
        if url.path == "/oauth2/auth":
            # Only the session decides; a client's own X-Auth-Request-* headers mean nothing.
            if session in USERS:
                email, name = USERS[session]
                self.reply(202, [("X-Auth-Request-Email", header_value(email)),
                                 ("X-Auth-Request-Preferred-Username", header_value(name))])
            else:
                self.reply(202)
        elif url.path == "/oauth2/sign_in":
            user = parse_qs(url.query).get("user", [""])[0]
            if user not in USERS:
                return self.reply(404)
            self.reply(302, [("Location", "/"),
                             ("Set-Cookie", "demo_session=%s; Path=/; HttpOnly; SameSite=Lax" % user)])
        elif url.path == "/oauth2/sign_out":
            self.reply(302, [("Location", "/"),
                             ("Set-Cookie", "demo_session=; Path=/; Max-Age=0")])
        else:
            self.reply(404)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--app-port", type=int, default=9000)
    ap.add_argument("--auth-port", type=int, default=4180)
    args = ap.parse_args()
    servers = [ThreadingHTTPServer(("127.0.0.1", args.app_port), App),
               ThreadingHTTPServer(("127.0.0.1", args.auth_port), Auth)]
    for s in servers:
        s.daemon_threads = True
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print("demo app on 127.0.0.1:%d, demo auth on 127.0.0.1:%d" % (args.app_port, args.auth_port),
          flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
