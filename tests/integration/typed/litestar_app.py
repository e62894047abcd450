"""A Litestar app using pylon_idv.jinja, for mypy --strict."""
from typing import Any, Optional

import jinja2
from litestar import Litestar, get
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

import pylon_idv.jinja

env = jinja2.Environment(autoescape=True)


def email(request: Any) -> Optional[str]:
    return None


pylon_idv.jinja.install(env, app_id="typed-app", email=email,
                        script_url="/_pylon_idv/pylon-chat.js")


@get("/")
async def index() -> Template:
    return Template(template_str="{{ pylon_chat() }}")


app = Litestar(route_handlers=[index], template_config=TemplateConfig(
    instance=JinjaTemplateEngine.from_environment(env)))
