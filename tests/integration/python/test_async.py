"""Async frameworks and failures that are never silent: Jinja2 environments with
enable_async=True, async def hooks (awaited where the environment is async, refused at install
where it is not), Quart and Litestar through pylon_idv.jinja, Django's tag in an event loop,
and the rate-limited log of failed renders. The live servers are in ../test_frameworks.py."""
import asyncio
import hashlib
import hmac
import json
import logging
import re

import pytest

SECRET = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812"
DATA = re.compile(r'<script type="application/json" id="pylon-chat-settings">(.*?)</script>', re.S)


def ref(email):
    return hmac.new(bytes.fromhex(SECRET), email.encode(), hashlib.sha256).hexdigest()


def settings_in(html):
    m = DATA.search(str(html))
    assert m, html
    return json.loads(m.group(1))


@pytest.fixture(autouse=True)
def secret_env(monkeypatch):
    monkeypatch.setenv("PYLON_IDENTITY_SECRET", SECRET)
    monkeypatch.delenv("PYLON_IDENTITY_SECRET_PREVIOUS", raising=False)
    from pylon_idv import _web
    _web._failures.clear()


# ------------------------------------------------------------------------- Jinja2, async

def test_async_environment_with_sync_hooks():
    import jinja2
    import pylon_idv.jinja
    env = jinja2.Environment(enable_async=True)
    pylon_idv.jinja.install(env, app_id="a1", email=lambda r: r["email"],
                            script_url="/p/pylon-chat.js")
    out = asyncio.run(env.from_string("{{ pylon_chat(plan='pro') }}").render_async(
        request={"email": "a@b"}))
    assert settings_in(out) == {"app_id": "a1", "email": "a@b", "email_hash": ref("a@b"),
                                "plan": "pro"}


def test_async_environment_awaits_async_hooks():
    import jinja2
    import pylon_idv.jinja
    calls = []

    async def email(request):
        await asyncio.sleep(0)
        calls.append("email")
        return request["email"]

    async def fields(request):
        calls.append("fields")
        return {"name": "Ann"}

    env = jinja2.Environment(enable_async=True, autoescape=True)
    pylon_idv.jinja.install(env, app_id="a2", email=email, fields=fields,
                            script_url="/p/pylon-chat.js")
    out = asyncio.run(env.from_string("<p>{{ pylon_chat() }}</p>").render_async(
        request={"email": "z@y"}))
    assert settings_in(out) == {"app_id": "a2", "email": "z@y", "email_hash": ref("z@y"),
                                "name": "Ann"}
    assert calls == ["email", "fields"]
    assert "&lt;script" not in out                       # Markup, not escaped


def test_sync_environment_refuses_async_hooks_at_install():
    import jinja2
    import pylon_idv.jinja

    async def email(request):
        return None

    with pytest.raises(pylon_idv.jinja.ConfigError) as ei:
        pylon_idv.jinja.install(jinja2.Environment(), app_id="a", email=email)
    assert [p.id for p in ei.value.problems] == ["E010"]
    assert "enable_async" in str(ei.value) and "email" in str(ei.value)


def test_async_hook_failure_is_logged_with_its_cause(caplog):
    import jinja2
    import pylon_idv.jinja

    async def email(request):
        raise LookupError("no session store")

    env = jinja2.Environment(enable_async=True)
    pylon_idv.jinja.install(env, app_id="a", email=email, script_url="/p/pylon-chat.js")
    with caplog.at_level(logging.ERROR, "pylon_idv"):
        out = asyncio.run(env.from_string("[{{ pylon_chat() }}]").render_async())
    assert out == "[]"
    assert "LookupError: no session store" in caplog.text


def test_debug_raises():
    import jinja2
    import pylon_idv.jinja
    env = jinja2.Environment()
    pylon_idv.jinja.install(env, app_id="a", email=lambda r: 1 / 0, debug=True,
                            script_url="/p/pylon-chat.js")
    with pytest.raises(ZeroDivisionError):
        env.from_string("{{ pylon_chat() }}").render()


def test_starlette_app_gets_pylon_chat_js_mounted():
    import jinja2
    from starlette.applications import Starlette
    from starlette.testclient import TestClient
    import pylon_idv
    import pylon_idv.jinja
    app = Starlette()
    pylon_idv.jinja.install(jinja2.Environment(), app_id="a", app=app)
    r = TestClient(app).get("/_pylon_idv/pylon-chat.js")
    with open(pylon_idv.static_path() + "/pylon-chat.js", "rb") as f:
        assert r.status_code == 200 and r.content == f.read()
    assert "javascript" in r.headers["content-type"]


def test_data_mode_without_a_server_for_the_script_says_so(caplog):
    import jinja2
    import pylon_idv.jinja
    with caplog.at_level(logging.WARNING, "pylon_idv"):
        pylon_idv.jinja.install(jinja2.Environment(), app_id="a")
    assert "serve pylon_idv.static_path()" in caplog.text and "/_pylon_idv/pylon-chat.js" \
        in caplog.text


# ------------------------------------------------------------------------- never silent

def test_two_failing_renders_two_causes_two_lines_and_a_repeat_is_rate_limited(caplog,
                                                                               monkeypatch):
    import jinja2
    import pylon_idv.jinja
    from pylon_idv import _web
    env = jinja2.Environment()
    pylon_idv.jinja.install(env, app_id="a", email=lambda r: r["email"],
                            script_url="/p/pylon-chat.js")
    t = env.from_string("[{{ pylon_chat(**f) }}]")
    clock = [1000.0]
    monkeypatch.setattr(_web.time, "monotonic", lambda: clock[0])
    with caplog.at_level(logging.ERROR, "pylon_idv"):
        assert t.render(request={}, f={}) == "[]"                          # KeyError
        assert t.render(request={"email": "a@b"}, f={"email_hash": "x"}) == "[]"   # TypeError
        assert t.render(request={}, f={}) == "[]"                          # KeyError again
        assert t.render(request={}, f={}) == "[]"
    lines = [r for r in caplog.records if r.name == "pylon_idv"]
    assert len(lines) == 2, [r.getMessage() for r in lines]
    assert "KeyError" in lines[0].getMessage() and "TypeError" in lines[1].getMessage()
    assert lines[0].exc_info is not None                # the traceback, for the cause
    clock[0] += _web.FAILURE_INTERVAL + 1                # a minute later: logged again
    caplog.clear()
    with caplog.at_level(logging.ERROR, "pylon_idv"):
        t.render(request={}, f={})
    lines = [r.getMessage() for r in caplog.records if r.name == "pylon_idv"]
    assert len(lines) == 1 and "KeyError" in lines[0] and "(2 more since the last line)" \
        in lines[0]


# ------------------------------------------------------------------------- Quart

def test_quart_async_environment_and_async_hook():
    import quart
    import pylon_idv.jinja
    app = quart.Quart("qt")

    async def email(request):
        return request.args.get("email")

    pylon_idv.jinja.install(app.jinja_env, app_id="quart-app", email=email,
                            script_url="/static/pylon-chat.js")

    @app.get("/")
    async def index():
        return await quart.render_template_string("<body>{{ pylon_chat() }}</body>")

    async def get(path):
        r = await app.test_client().get(path)
        return (await r.get_data()).decode()
    assert settings_in(asyncio.run(get("/?email=q@x"))) == {
        "app_id": "quart-app", "email": "q@x", "email_hash": ref("q@x")}
    assert settings_in(asyncio.run(get("/"))) == {"app_id": "quart-app"}


# ------------------------------------------------------------------------- Litestar

def test_litestar_jinja_engine():
    import jinja2
    from litestar import Litestar, get
    from litestar.plugins.jinja import JinjaTemplateEngine
    from litestar.response import Template
    from litestar.template.config import TemplateConfig
    from litestar.testing import TestClient
    import pylon_idv.jinja

    env = jinja2.Environment(autoescape=True)
    pylon_idv.jinja.install(env, app_id="lite",
                            email=lambda request: request.query_params.get("email"),
                            script_url="/static/pylon-chat.js")

    @get("/")
    async def index() -> Template:
        return Template(template_str="<body>{{ pylon_chat() }}</body>")

    app = Litestar(route_handlers=[index], template_config=TemplateConfig(
        instance=JinjaTemplateEngine.from_environment(env)))
    with TestClient(app) as client:
        assert settings_in(client.get("/?email=l@x").text) == {
            "app_id": "lite", "email": "l@x", "email_hash": ref("l@x")}
        assert settings_in(client.get("/").text) == {"app_id": "lite"}


# ------------------------------------------------------------------------- Flask, Django

def test_flask_refuses_async_hooks():
    import flask
    from pylon_idv.flask import ConfigError, PylonIDV

    async def email():
        return None
    ext = PylonIDV()
    with pytest.raises(TypeError):
        ext.email_loader(email)
    app = flask.Flask("f")
    app.config.update(PYLON_IDV_APP_ID="a", PYLON_IDV_EMAIL=email)
    with pytest.raises(ConfigError) as ei:
        PylonIDV(app)
    assert [p.id for p in ei.value.problems] == ["E010"]


def test_secret_of_the_wrong_length_warns_with_its_own_id_and_still_signs():
    from pylon_idv import _web
    page, problems = _web.load(app_id="a", environ={"PYLON_IDENTITY_SECRET": SECRET[:32]})
    assert [p.id for p in problems] == ["W002"] and page is not None
    assert "32 hex digits" in problems[0].message and SECRET[:8] not in str(problems[0])
    assert page.signer.sign("a@b") == hmac.new(bytes.fromhex(SECRET[:32]), b"a@b",
                                               hashlib.sha256).hexdigest()


def _django_request(loader):
    """A request whose user is lazy, loaded by loader under Django's own async_unsafe guard
    (what a database query does: SynchronousOnlyOperation in an event loop)."""
    from types import SimpleNamespace
    from django.utils.asyncio import async_unsafe
    from django.utils.functional import SimpleLazyObject
    loads = []

    @async_unsafe
    def load():
        loads.append(1)
        return loader()
    return SimpleNamespace(user=SimpleLazyObject(load)), loads


def _user(email):
    from types import SimpleNamespace
    return SimpleNamespace(is_authenticated=True, email=email,
                           get_email_field_name=lambda: "email")


def test_django_tag_in_an_event_loop_loads_the_user_off_the_loop(caplog):
    from django_settings import django_setup
    django_setup()
    from django.template import Context, Template
    t = Template("{% load pylon_idv %}{% pylon_chat %}")
    request, loads = _django_request(lambda: _user("as@x"))

    async def view():                          # an async view: the template in the loop
        return t.render(Context({"request": request}))
    with caplog.at_level(logging.ERROR, "pylon_idv"):
        out = asyncio.run(view())
    assert "SynchronousOnlyOperation" not in caplog.text
    assert settings_in(out) == {"app_id": "dj-app", "email": "as@x", "email_hash": ref("as@x")}
    assert loads == [1]


def test_django_tag_uses_the_user_the_async_view_loaded():
    from django_settings import django_setup
    django_setup()
    from django.template import Context, Template
    t = Template("{% load pylon_idv %}{% pylon_chat %}")
    request, loads = _django_request(lambda: _user("never@x"))
    request._acached_user = _user("au@x")      # what `await request.auser()` leaves

    async def view():
        return t.render(Context({"request": request}))
    assert settings_in(asyncio.run(view()))["email"] == "au@x"
    assert loads == []                          # the lazy user was never touched


def test_django_tag_sync_view_is_unchanged():
    from django_settings import django_setup
    django_setup()
    from django.template import Context, Template
    request, loads = _django_request(lambda: _user("sy@x"))
    out = Template("{% load pylon_idv %}{% pylon_chat %}").render(Context({"request": request}))
    assert settings_in(out)["email_hash"] == ref("sy@x") and loads == [1]


def test_django_async_hook_is_e008():
    from django_settings import django_setup
    django_setup()
    from django.core import checks
    from django.test import override_settings

    async def email(request):
        return None
    with override_settings(PYLON_IDV_EMAIL=email):
        out = [m for m in checks.run_checks(tags=["pylon_idv"]) if m.id == "pylon_idv.E010"]
    assert len(out) == 1 and "synchronously" in out[0].msg


def test_enabled_false_turns_jinja_and_flask_off():
    import flask
    import jinja2
    import pylon_idv.jinja
    from pylon_idv.flask import PylonIDV
    env = jinja2.Environment()
    chat = pylon_idv.jinja.install(env, app_id="", enabled=False)     # nothing checked
    assert env.from_string("[{{ pylon_chat(a=1) }}]").render() == "[]"
    assert chat.fingerprint == ""
    app = flask.Flask("off")
    app.config.update(PYLON_IDV_ENABLED=False)                        # no app id: not checked
    PylonIDV(app)
    with app.test_request_context("/"):
        assert flask.render_template_string("[{{ pylon_chat() }}]") == "[]"


def test_debug_mode_raises_in_flask_and_django():
    import flask
    from pylon_idv.flask import PylonIDV
    app = flask.Flask("dbg")
    app.config["PYLON_IDV_APP_ID"] = "a"
    ext = PylonIDV(app)
    ext.fields_loader(lambda: {"email_hash": "forged"})
    with app.test_request_context("/"):
        assert flask.render_template_string("[{{ pylon_chat() }}]") == "[]"   # logged
        app.debug = True
        with pytest.raises(TypeError):
            flask.render_template_string("[{{ pylon_chat() }}]")
    from django_settings import django_setup
    django_setup()
    from django.template import Context, Template
    from django.test import override_settings
    t = Template("{% load pylon_idv %}{% pylon_chat %}")
    with override_settings(PYLON_IDV_EMAIL=lambda request: 1 / 0):
        assert t.render(Context({})) == ""
        with override_settings(DEBUG=True), pytest.raises(ZeroDivisionError):
            t.render(Context({}))
