"""The Flask example with the drop-in extension: pylon_idv.flask.PylonIDV and
{{ pylon_chat() }} in the template (compare app.py, which calls the page API by hand).

    PYLON_IDENTITY_SECRET=$(python -m pylon_idv generate-secret) \
        gunicorn -c examples/flask/gunicorn.conf.py extension:app

then open http://127.0.0.1:8000/ and log in as a demo user. gunicorn.conf.py: 2 pre-fork workers
and preload_app, so the app (and its Signer: the secret is decoded once) is made before the
fork; a bad configuration stops gunicorn right there with pylon_idv.E00x and the fix.

Environment: PYLON_IDENTITY_SECRET (required), PYLON_APP_ID (default demo-app-id),
DEMO_MODE "data" (default; Pylon's documented CSP) or "inline" (a CSP nonce per request).
"""
import os
import secrets

from flask import Flask, g, redirect, render_template_string, session

from pylon_idv.flask import PylonIDV

USERS = {  # demo only: a real app has its own users and login
    "jane": ("jane@example.com", "Jane Doe"),
    "jorg": ("jörg+chat@exämple.com", "Jörg </script><script>window.__pwned=1</script>"),
}

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>pylon_idv Flask extension example</title></head>
<body>
<h1>pylon_idv Flask extension example</h1>
{% if session.user %}<p>Signed in as {{ session.user }}. <a href="/logout">Log out</a></p>
{% else %}<p>Not signed in. Log in as <a href="/login/jane">jane</a> or <a href="/login/jorg">jörg</a>.</p>{% endif %}
{{ pylon_chat() }}
</body>
</html>
"""

app = Flask(__name__)
app.secret_key = os.environ.get("FLASK_SECRET_KEY") or secrets.token_hex(32)  # Flask's own
app.config["PYLON_IDV_APP_ID"] = os.environ.get("PYLON_APP_ID", "demo-app-id")
app.config["PYLON_IDV_MODE"] = os.environ.get("DEMO_MODE", "data")
pylon = PylonIDV(app)             # reads PYLON_IDENTITY_SECRET now: loud at start-up


@pylon.email_loader
def current_email():
    user = USERS.get(session.get("user"))
    return user[0] if user else None


@pylon.fields_loader
def chat_fields():
    user = USERS.get(session.get("user"))
    return {"name": user[1]} if user else {}


@app.before_request
def csp_nonce():
    if app.config["PYLON_IDV_MODE"] == "inline":
        g.csp_nonce = secrets.token_urlsafe(16)      # Flask-Talisman: request.csp_nonce


@app.after_request
def content_security_policy(response):
    if "csp_nonce" in g:
        policy = f"script-src 'nonce-{g.csp_nonce}' https://widget.usepylon.com"
    else:
        policy = "script-src 'self' https://widget.usepylon.com"
    response.headers["Content-Security-Policy"] = policy
    return response


@app.get("/")
def index():
    return render_template_string(PAGE), {"Cache-Control": "private, no-store"}


@app.get("/login/<name>")
def login(name):
    if name not in USERS:
        return "no such demo user", 404
    session["user"] = name
    return redirect("/")


@app.get("/logout")
def logout():
    session.clear()
    return redirect("/")
