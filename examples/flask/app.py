#!/usr/bin/env python3
"""A small Flask app that hands the Pylon chat widget a signed identity, in the three ways a
page can do it under a Content-Security-Policy.

    PYLON_IDENTITY_SECRET=$(pylon-idv generate-secret) python3 examples/flask/app.py --port 8080

then open http://127.0.0.1:8080/. Needs Flask (Debian: python3-flask) and pylon_idv.

The pages (the same settings, the same widget):
  /          Pylon's documented policy, exactly: Content-Security-Policy: script-src 'self'
             https://widget.usepylon.com. No inline script at all: chat_settings_data() (a JSON
             element that never executes) and /pylon-chat.js, served from this origin
             (pylon_idv.static_path()), which reads it and loads the widget.
  /nonce     a nonce policy, script-src 'nonce-N' (N fresh for each response):
             chat_settings_script(nonce=N) and widget_script(nonce=N).
  /inline    no policy: chat_settings_script() and widget_script().

Environment:
  PYLON_IDENTITY_SECRET   the identity secret (hex); required: the app refuses to start
                          without it, rather than sign with an empty key
  PYLON_APP_ID            the widget's app id (default: demo-app-id)
  PYLON_DEMO_EMAIL        the signed-in demo user's email (default: jane@example.com)
  PYLON_DEMO_NAME         and name (default: Jane Doe)
  PYLON_DEMO_ANONYMOUS    1: nobody is logged in (the settings hold app_id and name only)

What a real app does the same way:
  - the Signer is made ONCE, at start-up: a missing or malformed secret stops the app at
    once (loudly), and each page costs one fast sign, with no hex decoding;
  - the secret's fingerprint is logged, never the secret: compare it between services to
    see which secret each one runs;
  - the results are pylon_idv.HTML (a str with __html__): Jinja inserts them as they are,
    with no Markup(); their JSON is escaped so that no user's name or email can break out;
  - a visitor who is not logged in gets the same template: email=None;
  - the email is signed exactly as it is given to the widget (no trimming, no lower-casing);
  - the page is private to the user: Cache-Control: private, no-store.

There is no login system here (flask_login is not in Debian): current_user() returns the
configured demo user. Replace it with your own (flask_login's current_user, the session...).
"""

import argparse
import logging
import os
import secrets
import sys

from flask import Flask, render_template_string, send_from_directory

import pylon_idv

WIDGET_ORIGIN = "https://widget.usepylon.com"

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>pylon_idv Flask example: {{ mode }}</title>
</head>
<body>
<h1>pylon_idv Flask example</h1>
{% if user %}<p>Signed in as {{ user.name }} &lt;{{ user.email }}&gt;.</p>
{% else %}<p>Not signed in.</p>
{% endif %}<p>Secret fingerprint: <code>{{ fingerprint }}</code>. This page: {{ mode }}.</p>
{{ settings }}
{% if loader %}{{ loader }}{% else %}<script src="{{ url_for('pylon_chat_js') }}" defer></script>{% endif %}
</body>
</html>
"""


class DemoUser:
    """The signed-in user; a real app takes it from its login system."""

    def __init__(self, email, name):
        self.email = email
        self.name = name


def create_app(secret=None, *, email=None, name=None, app_id=None, anonymous=None):
    """The Flask app. Arguments left as None come from the environment (see above).

    Raises RuntimeError when no secret is configured, pylon_idv.InvalidSecretError when it
    is malformed: both at start-up, never at the first page view."""
    env = os.environ
    if secret is None:
        secret = env.get("PYLON_IDENTITY_SECRET")
        if secret is None:
            raise RuntimeError("PYLON_IDENTITY_SECRET is not set: the identity secret, 64 hex "
                               "digits (make one with: pylon-idv generate-secret)")
    signer = pylon_idv.Signer(secret)            # once per process; the secret is not kept
    del secret
    if anonymous is None:
        anonymous = env.get("PYLON_DEMO_ANONYMOUS") == "1"
    user = DemoUser(env.get("PYLON_DEMO_EMAIL", "jane@example.com") if email is None else email,
                    env.get("PYLON_DEMO_NAME", "Jane Doe") if name is None else name)
    app_id = env.get("PYLON_APP_ID", "demo-app-id") if app_id is None else app_id

    app = Flask(__name__)
    app.logger.setLevel(logging.INFO)
    app.logger.info("pylon identity secret fingerprint %s", signer.fingerprint)
    app.config["PYLON_SIGNER"] = signer

    def current_user():
        return None if anonymous else user

    def page(mode, settings, loader=None, csp=None):
        html = render_template_string(PAGE, settings=settings, loader=loader,
                                      user=current_user(), mode=mode,
                                      fingerprint=signer.fingerprint)
        headers = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
        if csp:
            headers["Content-Security-Policy"] = csp
        return html, headers

    def chat_args():
        u = current_user()            # None: a visitor; the same call, email=None
        return (u.email if u else None), {"app_id": app_id, "name": u.name if u else None}

    @app.get("/")
    def index():
        # Pylon's documented policy: no inline script; the data element + pylon-chat.js.
        email, kw = chat_args()
        return page("script-src 'self' (chat_settings_data + pylon-chat.js)",
                    pylon_idv.chat_settings_data(email, signer, **kw),
                    csp="script-src 'self' " + WIDGET_ORIGIN)

    @app.get("/nonce")
    def nonce_page():
        nonce = secrets.token_urlsafe(18)          # fresh for each response
        email, kw = chat_args()
        return page("a nonce policy (chat_settings_script + widget_script)",
                    pylon_idv.chat_settings_script(email, signer, nonce=nonce, **kw),
                    pylon_idv.widget_script(app_id, nonce=nonce),
                    csp="script-src 'nonce-%s'" % nonce)

    @app.get("/inline")
    def inline_page():
        email, kw = chat_args()
        return page("no policy (chat_settings_script + widget_script)",
                    pylon_idv.chat_settings_script(email, signer, **kw),
                    pylon_idv.widget_script(app_id))

    @app.get("/pylon-chat.js")
    def pylon_chat_js():
        return send_from_directory(pylon_idv.static_path(), "pylon-chat.js",
                                   mimetype="text/javascript", max_age=3600)

    return app


def main(argv=None):
    ap = argparse.ArgumentParser(description="pylon_idv Flask example (127.0.0.1 only)")
    ap.add_argument("--port", type=int, default=8080, help="TCP port (default 8080)")
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        app = create_app()
    except (RuntimeError, pylon_idv.InvalidSecretError) as e:
        sys.stderr.write(f"app.py: {e}\n")
        return 2
    app.run(host=args.host, port=args.port, debug=False, use_reloader=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
