#!/usr/bin/env python3
"""A small Flask app that hands the Pylon chat widget a signed identity.

    PYLON_IDENTITY_SECRET=$(pylon-idv generate-secret) python3 examples/flask/app.py --port 8080

then open http://127.0.0.1:8080/. Needs Flask (Debian: python3-flask) and pylon_idv.

Environment:
  PYLON_IDENTITY_SECRET   the identity secret (hex); required: the app refuses to start
                          without it, rather than sign with an empty key
  PYLON_APP_ID            the widget's app id (default: demo-app-id)
  PYLON_DEMO_EMAIL        the signed-in demo user's email (default: jane@example.com)
  PYLON_DEMO_NAME         and name (default: Jane Doe)

What a real app does the same way:
  - the Signer is made ONCE, at start-up: a missing or malformed secret stops the app at
    once (loudly), and each page costs one fast sign, with no hex decoding;
  - the secret's fingerprint is logged, never the secret: compare it between services to
    see which secret each one runs;
  - the page gets pylon_idv.chat_settings_script(...), one <script> element whose JSON is
    escaped for an inline script, so the user's own name or email cannot break out of it;
  - the email is signed exactly as it is given to the widget (no trimming, no lower-casing);
  - the page is private to the user: Cache-Control: private, no-store.

There is no login system here (flask_login is not in Debian): current_user() returns the
configured demo user. Replace it with your own (flask_login's current_user, the session...).
"""

import argparse
import logging
import os
import sys

from flask import Flask, render_template_string
from markupsafe import Markup

import pylon_idv

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>pylon_idv Flask example</title>
{{ chat_script }}
</head>
<body>
<h1>pylon_idv Flask example</h1>
<p>Signed in as {{ user.name }} &lt;{{ user.email }}&gt;.</p>
<p>Secret fingerprint: <code>{{ fingerprint }}</code></p>
<!-- The Pylon widget snippet goes here: it reads window.pylon.chat_settings. -->
</body>
</html>
"""


class DemoUser:
    """The signed-in user; a real app takes it from its login system."""

    def __init__(self, email, name):
        self.email = email
        self.name = name


def create_app(secret=None, *, email=None, name=None, app_id=None):
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
    user = DemoUser(env.get("PYLON_DEMO_EMAIL", "jane@example.com") if email is None else email,
                    env.get("PYLON_DEMO_NAME", "Jane Doe") if name is None else name)
    app_id = env.get("PYLON_APP_ID", "demo-app-id") if app_id is None else app_id

    app = Flask(__name__)
    app.logger.setLevel(logging.INFO)
    app.logger.info("pylon identity secret fingerprint %s", signer.fingerprint)
    app.config["PYLON_SIGNER"] = signer

    def current_user():
        return user

    @app.get("/")
    def index():
        u = current_user()
        script = pylon_idv.chat_settings_script(u.email, signer, app_id=app_id, name=u.name)
        html = render_template_string(PAGE, chat_script=Markup(script), user=u,
                                      fingerprint=signer.fingerprint)
        return html, {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}

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
