"""A Quart app using pylon_idv.jinja with async hooks, for mypy --strict."""
from typing import Any, Mapping, Optional

import quart

import pylon_idv.jinja

app = quart.Quart(__name__)


async def email(request: Any) -> Optional[str]:
    return None


async def fields(request: Any) -> Mapping[str, str]:
    return {"name": "Ann"}


pylon_idv.jinja.install(app.jinja_env, app_id="typed-app", email=email, fields=fields,
                        script_url="/_pylon_idv/pylon-chat.js")


@app.get("/")
async def index() -> str:
    return await quart.render_template_string("{{ pylon_chat() }}")
