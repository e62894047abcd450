"""The Litestar example: pylon_idv.jinja in Litestar's Jinja2 template engine.

    PYLON_IDENTITY_SECRET=$(python -m pylon_idv generate-secret) \
        uvicorn --app-dir examples/litestar app:app --host 127.0.0.1 --port 8000

then open http://127.0.0.1:8000/ and log in as a demo user. Litestar renders templates
synchronously: the hooks are plain functions (an async def one is refused at start-up, E008).
pylon-chat.js is served from the app's own origin by a static files router.

Environment: PYLON_IDENTITY_SECRET (required), PYLON_APP_ID (default demo-app-id),
DEMO_MODE "data" (default; Pylon's documented CSP) or "inline" (a CSP nonce per request).
"""
import os
import secrets

import jinja2
from litestar import Litestar, Request, Response, get
from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

import pylon_idv
import pylon_idv.jinja

MODE = os.environ.get("DEMO_MODE", "data")
USERS = {  # demo only: a real app has its own users and login
    "jane": ("jane@example.com", "Jane Doe"),
    "jorg": ("jörg+chat@exämple.com", "Jörg </script><script>window.__pwned=1</script>"),
}
PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>pylon_idv Litestar example</title></head>
<body>
<h1>pylon_idv Litestar example</h1>
{{ pylon_chat() }}
</body>
</html>
"""


def current_user(request):
    return USERS.get(request.session.get("user")) if request is not None else None


def csp_nonce(request):
    return request.scope.get("state", {}).get("csp_nonce") if request is not None else None


env = jinja2.Environment(autoescape=True)
pylon_idv.jinja.install(                      # reads PYLON_IDENTITY_SECRET now: loud at start
    env, app_id=os.environ.get("PYLON_APP_ID", "demo-app-id"), mode=MODE,
    email=lambda request: (current_user(request) or (None,))[0],
    fields=lambda request: {"name": current_user(request)[1]} if current_user(request) else {},
    nonce=csp_nonce, script_url="/_pylon_idv/pylon-chat.js")


def policy(request: Request) -> str:
    nonce = csp_nonce(request)
    return (f"script-src 'nonce-{nonce}' https://widget.usepylon.com" if nonce
            else "script-src 'self' https://widget.usepylon.com")


@get("/")
async def index(request: Request) -> Template:
    if MODE == "inline":
        request.scope.setdefault("state", {})["csp_nonce"] = secrets.token_urlsafe(16)
    return Template(template_str=PAGE, headers={"Content-Security-Policy": policy(request),
                                                "Cache-Control": "private, no-store"})


@get("/login/{name:str}")
async def login(request: Request, name: str) -> Redirect:
    if name in USERS:
        request.set_session({"user": name})
    return Redirect("/")


@get("/logout")
async def logout(request: Request) -> Redirect:
    request.clear_session()
    return Redirect("/")


app = Litestar(
    route_handlers=[index, login, logout,
                    create_static_files_router(path="/_pylon_idv",
                                               directories=[pylon_idv.static_path()])],
    template_config=TemplateConfig(instance=JinjaTemplateEngine.from_environment(env)),
    middleware=[ServerSideSessionConfig().middleware],     # sessions in memory (a demo)
)
