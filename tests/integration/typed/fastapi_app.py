"""A FastAPI app using pylon_idv.jinja (sync and async Environments), for mypy --strict."""
from typing import Optional

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

import pylon_idv
import pylon_idv.jinja

app = FastAPI()
templates = Jinja2Templates(directory="templates")


def email(request: Request) -> Optional[str]:
    value = request.session.get("email")
    return value if isinstance(value, str) else None


chat: pylon_idv.jinja.PylonChat = pylon_idv.jinja.install(
    templates.env, app_id="typed-app", email=email, app=app)
fingerprint: str = chat.fingerprint


async def async_email(request: Request) -> Optional[str]:
    return None


async_env = jinja2.Environment(enable_async=True)
pylon_idv.jinja.install(async_env, app_id="typed-app", email=async_email, mode="inline",
                        script_url="/js/pylon-chat.js", debug=True)


@app.get("/")
async def index(request: Request) -> HTMLResponse:
    html = await async_env.from_string("{{ pylon_chat() }}").render_async(request=request)
    return HTMLResponse(html)


sources: dict[str, tuple[str, ...]] = pylon_idv.csp_sources()
