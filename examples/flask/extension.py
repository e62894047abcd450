"""The Flask example with the drop-in extension: pylon_idv.flask.PylonIDV and
{{ pylon_chat() }} in the template (compare app.py, which calls the page API by hand).

    PYLON_IDENTITY_SECRET=$(python -m pylon_idv generate-secret) \
        gunicorn -c examples/flask/gunicorn.conf.py extension:app

then open http://127.0.0.1:8000/ and log in as a demo user. gunicorn.conf.py: 2 pre-fork workers
and preload_app, so the app (and its Signer: the secret is decoded once) is made before the
fork; a bad configuration stops gunicorn right there with pylon_idv.E00x and the fix.

Environment: PYLON_IDENTITY_SECRET (required), PYLON_APP_ID (default demo-app-id),
DEMO_MODE "data" (default; Pylon's documented CSP) or "inline" (a CSP nonce per request).
Tests only: PYLON_DEMO_CORPUS, a folder of hostile pages (tests/vectors/hostile), adds
/corpus/<name>?user=<demo user>: that page with @@PYLON@@ replaced by {{ pylon_chat() }}'s
output, every other byte as in the file, with no CSP header (the page's own inline scripts
must run); tests/integration/hostile.py checks them in Chromium.
"""
import os
import secrets

from flask import Flask, abort, g, redirect, render_template_string, request, session
from werkzeug.utils import safe_join

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
    user = USERS.get(g.get("corpus_user") or session.get("user"))
    return user[0] if user else None


@pylon.fields_loader
def chat_fields():
    user = USERS.get(g.get("corpus_user") or session.get("user"))
    return {"name": user[1]} if user else {}


@app.before_request
def csp_nonce():
    if app.config["PYLON_IDV_MODE"] == "inline":
        g.csp_nonce = secrets.token_urlsafe(16)      # Flask-Talisman: request.csp_nonce


@app.after_request
def content_security_policy(response):
    if g.get("corpus_user") is not None:
        return response                 # a corpus page: its own inline scripts must run
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


CORPUS = os.environ.get("PYLON_DEMO_CORPUS")
if CORPUS:
    @app.get("/corpus/<name>")
    def corpus_page(name):
        """Tests only: a hostile page with the drop-in's output where its template puts it."""
        path = safe_join(CORPUS, name + ".html")
        if path is None or not os.path.isfile(path):
            abort(404)
        g.corpus_user = request.args.get("user", "")        # "": a visitor
        with open(path, "rb") as f:
            page = f.read()
        snippet = app.jinja_env.globals["pylon_chat"]()
        return (page.replace(b"@@PYLON@@", str(snippet).encode()),
                {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "private, no-store"})
