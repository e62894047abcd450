"""The FastAPI example: Jinja2Templates with pylon_idv.jinja (which mounts pylon-chat.js), and
/async: the same page from an async Jinja2 Environment with async def hooks.

    PYLON_IDENTITY_SECRET=$(python -m pylon_idv generate-secret) \
        uvicorn --app-dir examples/fastapi app:app --host 127.0.0.1 --port 8000

then open http://127.0.0.1:8000/ and log in as a demo user. The same works for any Starlette
app (and any Jinja2 Environment: pylon_idv.jinja.install(env, ...)).

Environment: PYLON_IDENTITY_SECRET (required), PYLON_APP_ID (default demo-app-id),
DEMO_MODE "data" (default; Pylon's documented CSP) or "inline" (a CSP nonce per request).
"""
import os
import secrets

import jinja2

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

import pylon_idv
import pylon_idv.jinja

HERE = os.path.dirname(os.path.abspath(__file__))
MODE = os.environ.get("DEMO_MODE", "data")
USERS = {  # demo only: a real app has its own users and login
    "jane": ("jane@example.com", "Jane Doe"),
    "jorg": ("jörg+chat@exämple.com", "Jörg </script><script>window.__pwned=1</script>"),
}


def current_user(request):
    return USERS.get(request.session.get("user")) if request is not None else None


app = FastAPI()
templates = Jinja2Templates(directory=os.path.join(HERE, "templates"))
pylon_idv.jinja.install(                        # reads PYLON_IDENTITY_SECRET now: loud at start
    templates.env, app_id=os.environ.get("PYLON_APP_ID", "demo-app-id"), mode=MODE,
    email=lambda request: (current_user(request) or (None,))[0],
    fields=lambda request: {"name": current_user(request)[1]} if current_user(request) else {},
    app=app)                                    # serves pylon-chat.js at /_pylon_idv/


# The same page from an async Environment, whose hooks are async def (a user loaded from an
# async database, say): pylon_chat() awaits them; the view renders with render_async.
async def async_email(request):
    return (current_user(request) or (None,))[0]


async def async_fields(request):
    user = current_user(request)
    return {"name": user[1]} if user else {}

async_env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(HERE, "templates")),
                               autoescape=True, enable_async=True)
pylon_idv.jinja.install(async_env, app_id=os.environ.get("PYLON_APP_ID", "demo-app-id"),
                        mode=MODE, email=async_email, fields=async_fields,
                        script_url="/_pylon_idv/pylon-chat.js")


@app.middleware("http")
async def content_security_policy(request: Request, call_next):
    if MODE == "inline":
        request.state.csp_nonce = secrets.token_urlsafe(16)
        policy = f"script-src 'nonce-{request.state.csp_nonce}' https://widget.usepylon.com"
    else:
        policy = "script-src 'self' https://widget.usepylon.com"
    response = await call_next(request)
    response.headers["Content-Security-Policy"] = policy
    return response


# added last, so it runs first: request.session is there for the middleware above
app.add_middleware(SessionMiddleware, secret_key=os.environ.get("SESSION_SECRET_KEY")
                   or secrets.token_hex(32))


@app.get("/")
def index(request: Request):
    response = templates.TemplateResponse(request, "index.html", {"user": current_user(request)})
    response.headers["Cache-Control"] = "private, no-store"
    return response


@app.get("/async")
async def async_index(request: Request):
    html = await async_env.get_template("index.html").render_async(
        request=request, user=current_user(request))
    return HTMLResponse(html, headers={"Cache-Control": "private, no-store"})


@app.get("/login/{name}")
def login(request: Request, name: str):
    if name in USERS:
        request.session["user"] = name
    return RedirectResponse("/", status_code=303)


@app.get("/logout")
def logout(request: Request):
    request.session.clear()
    return RedirectResponse("/", status_code=303)
