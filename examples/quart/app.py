"""The Quart example: pylon_idv.jinja in Quart's async Jinja2 environment, with async hooks.

    PYLON_IDENTITY_SECRET=$(python -m pylon_idv generate-secret) \
        uvicorn --app-dir examples/quart app:app --host 127.0.0.1 --port 8000

then open http://127.0.0.1:8000/ and log in as a demo user. Quart renders templates with
render_async, so the hooks may be ``async def`` (pylon_chat() awaits them); pylon-chat.js is
served from the app's own origin by a route.

Environment: PYLON_IDENTITY_SECRET (required), PYLON_APP_ID (default demo-app-id),
DEMO_MODE "data" (default; Pylon's documented CSP) or "inline" (a CSP nonce per request).
"""
import os
import secrets

from quart import Quart, g, redirect, render_template_string, send_from_directory, session

import pylon_idv
import pylon_idv.jinja

MODE = os.environ.get("DEMO_MODE", "data")
USERS = {  # demo only: a real app has its own users and login
    "jane": ("jane@example.com", "Jane Doe"),
    "jorg": ("jörg+chat@exämple.com", "Jörg </script><script>window.__pwned=1</script>"),
}
PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>pylon_idv Quart example</title></head>
<body>
<h1>pylon_idv Quart example</h1>
{{ pylon_chat() }}
</body>
</html>
"""

app = Quart(__name__)
app.secret_key = os.environ.get("QUART_SECRET_KEY") or secrets.token_hex(32)


async def current_email(request):            # async def: awaited by pylon_chat()
    user = USERS.get(session.get("user"))
    return user[0] if user else None


async def chat_fields(request):
    user = USERS.get(session.get("user"))
    return {"name": user[1]} if user else {}


def csp_nonce(request):
    return g.get("csp_nonce")


pylon_idv.jinja.install(                      # reads PYLON_IDENTITY_SECRET now: loud at start
    app.jinja_env, app_id=os.environ.get("PYLON_APP_ID", "demo-app-id"), mode=MODE,
    email=current_email, fields=chat_fields, nonce=csp_nonce,
    script_url="/_pylon_idv/pylon-chat.js")


@app.get("/_pylon_idv/pylon-chat.js")
async def pylon_chat_js():
    return await send_from_directory(pylon_idv.static_path(), "pylon-chat.js",
                                     mimetype="text/javascript")


@app.before_request
async def make_nonce():
    if MODE == "inline":
        g.csp_nonce = secrets.token_urlsafe(16)


@app.after_request
async def content_security_policy(response):
    nonce = g.get("csp_nonce")
    response.headers["Content-Security-Policy"] = (
        f"script-src 'nonce-{nonce}' https://widget.usepylon.com" if nonce
        else "script-src 'self' https://widget.usepylon.com")
    return response


@app.get("/")
async def index():
    response = await app.make_response(await render_template_string(PAGE))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@app.get("/login/<name>")
async def login(name):
    if name in USERS:
        session["user"] = name
    return redirect("/")


@app.get("/logout")
async def logout():
    session.clear()
    return redirect("/")
