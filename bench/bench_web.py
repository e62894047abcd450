"""bench_web.py -- what a page pays for the chat: the drop-ins against the hand-written idiom.

    python bench/bench_web.py [--quick] [--rounds N] [--target-ms MS]

For Django (sync and async views), Flask (sync: Flask renders synchronously) and FastAPI (a
Starlette Jinja2Templates environment, sync; an enable_async environment rendered with
render_async, async), one page (a heading and 20 paragraphs) rendered three ways for a
signed-in user:

  no chat      the page alone
  drop-in      the page with {% pylon_chat %} / {{ pylon_chat() }} (mode "data")
  idiom        the page with what a user writes by hand, from the same user data as the
               drop-in's hooks (FastAPI: the same hook functions, awaited in the async
               view; Django: request.user; Flask: the same values): the secret from the environment,
               hmac.new(bytes.fromhex(secret), email.encode(), hashlib.sha256).hexdigest(),
               a dict, json_script (Django) or |tojson (Jinja2) into the same
               <script type="application/json" id="pylon-chat-settings"> element, and the
               <script src> of pylon-chat.js ({% static %} / url_for)

Each row renders the template only (no HTTP), in a request context as the framework makes
one; an async row runs inside a running event loop (one run_until_complete per call, the same
for the three rows). Rows are interleaved round by round; the table gives medians (us/page)
and the added time of the drop-in and of the idiom over the page alone, and their ratio
(target: the drop-in adds <= 0.5x what the idiom adds).
"""

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import statistics
import sys
import time
import timeit

SECRET = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812"
EMAIL = "jane.doe@example.com"
NAME = "Jane Doe"
os.environ["PYLON_IDENTITY_SECRET"] = SECRET
os.environ.pop("PYLON_IDENTITY_SECRET_PREVIOUS", None)
PARAS = "".join("<p>Paragraph %d of the page: {{ title }} and some text to render.</p>\n" % i
                for i in range(20))


def idiom_settings(email, name):
    """What the hand-written idiom computes per request."""
    secret = os.environ["PYLON_IDENTITY_SECRET"]
    return {"app_id": "bench-app", "email": email,
            "email_hash": hmac.new(bytes.fromhex(secret), email.encode(),
                                   hashlib.sha256).hexdigest(),
            "name": name}


# ------------------------------------------------------------------------------- Django

def django_rows():
    import django
    from django.conf import settings
    settings.configure(
        DEBUG=False, SECRET_KEY="x" * 50, ALLOWED_HOSTS=["*"], USE_TZ=True,
        INSTALLED_APPS=["django.contrib.staticfiles", "pylon_idv.django"],
        STATIC_URL="/static/",
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates",
                    "OPTIONS": {"context_processors": [
                        "django.template.context_processors.request"]}}],
        PYLON_IDV_APP_ID="bench-app", PYLON_IDV_FIELDS="bench_web.django_fields")
    django.setup()
    from django.template import engines
    from django.test import RequestFactory

    class User:
        is_authenticated = True
        email = EMAIL

        @classmethod
        def get_email_field_name(cls):
            return "email"

        def get_full_name(self):
            return NAME

    head = "{% load static pylon_idv %}<html><body><h1>{{ title }}</h1>\n" + PARAS
    engine = engines["django"]
    none = engine.from_string(head + "</body></html>")
    drop = engine.from_string(head + "{% pylon_chat %}</body></html>")
    idiom = engine.from_string(
        head + '{{ pylon|json_script:"pylon-chat-settings" }}'
        '<script src="{% static "pylon-chat.js" %}"></script></body></html>')
    request = RequestFactory().get("/")
    request.user = User()

    def view_none():
        return none.render({"title": "Bench"}, request)

    def view_drop():
        return drop.render({"title": "Bench"}, request)

    def view_idiom():
        u = request.user
        return idiom.render({"title": "Bench", "pylon": idiom_settings(
            u.email, u.get_full_name())}, request)

    check_pages("Django", view_drop(), view_idiom())
    return [("Django", "sync", view_none, view_drop, view_idiom),
            ("Django", "async", *async_of(view_none, view_drop, view_idiom))]


def django_fields(request):
    return {"name": request.user.get_full_name()}


# ------------------------------------------------------------------------------- Flask

def flask_rows():
    import flask
    from pylon_idv.flask import PylonIDV
    app = flask.Flask("bench", static_folder=None)
    app.config["PYLON_IDV_APP_ID"] = "bench-app"
    bp = flask.Blueprint("assets", "bench", static_folder="static", static_url_path="/static")
    app.register_blueprint(bp)
    pylon = PylonIDV(app)
    user = {"email": EMAIL, "name": NAME}
    pylon.email_loader(lambda: user["email"])
    pylon.fields_loader(lambda: {"name": user["name"]})
    head = "<html><body><h1>{{ title }}</h1>\n" + PARAS
    env = app.jinja_env
    none = env.from_string(head + "</body></html>")
    drop = env.from_string(head + "{{ pylon_chat() }}</body></html>")
    idiom = env.from_string(
        head + '<script type="application/json" id="pylon-chat-settings">{{ pylon|tojson }}'
        '</script><script src="{{ url_for("assets.static", filename="pylon-chat.js") }}">'
        "</script></body></html>")
    ctx = app.test_request_context("/")
    ctx.push()

    def view_none():
        return flask.render_template(none, title="Bench")

    def view_drop():
        return flask.render_template(drop, title="Bench")

    def view_idiom():
        return flask.render_template(idiom, title="Bench",
                                     pylon=idiom_settings(user["email"], user["name"]))

    check_pages("Flask", view_drop(), view_idiom())
    return [("Flask", "sync", view_none, view_drop, view_idiom)]


# ------------------------------------------------------------------------------- FastAPI

def fastapi_rows():
    import jinja2
    from fastapi.templating import Jinja2Templates
    from starlette.requests import Request

    import pylon_idv.jinja
    users = {"s1": (EMAIL, NAME)}

    def email(request):
        return users[request.cookies["s"]][0]

    def fields(request):
        return {"name": users[request.cookies["s"]][1]}

    async def aemail(request):
        return users[request.cookies["s"]][0]

    async def afields(request):
        return {"name": users[request.cookies["s"]][1]}

    head = "<html><body><h1>{{ title }}</h1>\n" + PARAS
    loader = jinja2.DictLoader({
        "none.html": head + "</body></html>",
        "drop.html": head + "{{ pylon_chat() }}</body></html>",
        "idiom.html": head + '<script type="application/json" id="pylon-chat-settings">'
                             '{{ pylon|tojson }}</script><script src="/_pylon_idv/pylon-chat.js">'
                             "</script></body></html>"})
    templates = Jinja2Templates(env=jinja2.Environment(loader=loader, autoescape=True))
    pylon_idv.jinja.install(templates.env, app_id="bench-app", email=email, fields=fields,
                            script_url="/_pylon_idv/pylon-chat.js")
    aenv = jinja2.Environment(loader=loader, autoescape=True, enable_async=True)
    pylon_idv.jinja.install(aenv, app_id="bench-app", email=aemail, fields=afields,
                            script_url="/_pylon_idv/pylon-chat.js")
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": [
        (b"cookie", b"s=s1")], "query_string": b"", "app": None})
    t = {n: templates.env.get_template(n + ".html") for n in ("none", "drop", "idiom")}
    at = {n: aenv.get_template(n + ".html") for n in ("none", "drop", "idiom")}

    def view_none():
        return t["none"].render(request=request, title="Bench")

    def view_drop():
        return t["drop"].render(request=request, title="Bench")

    def view_idiom():
        return t["idiom"].render(request=request, title="Bench", pylon=idiom_settings(
            email(request), fields(request)["name"]))

    async def aview_none():
        return await at["none"].render_async(request=request, title="Bench")

    async def aview_drop():
        return await at["drop"].render_async(request=request, title="Bench")

    async def aview_idiom():
        return await at["idiom"].render_async(request=request, title="Bench",
                                              pylon=idiom_settings(await aemail(request),
                                                                   (await afields(request))["name"]))

    check_pages("FastAPI", view_drop(), view_idiom())
    loop = asyncio.new_event_loop()
    check_pages("FastAPI async", loop.run_until_complete(aview_drop()),
                loop.run_until_complete(aview_idiom()))
    return [("FastAPI", "sync", view_none, view_drop, view_idiom),
            ("FastAPI", "async", *[lambda f=f: loop.run_until_complete(f())
                                   for f in (aview_none, aview_drop, aview_idiom)])]


# ------------------------------------------------------------------------------- shared

_LOOP = None


def async_of(*views):
    """The same sync render inside a running event loop (an async view's render)."""
    global _LOOP
    if _LOOP is None:
        _LOOP = asyncio.new_event_loop()
    loop = _LOOP

    def wrap(view):
        async def run():
            return view()
        return lambda: loop.run_until_complete(run())
    return [wrap(v) for v in views]


def check_pages(label, drop, idiom):
    """Both pages carry the same settings (so the rows compare the same work)."""
    import re
    got = []
    for page in (drop, idiom):
        m = re.search(r'<script[^>]*id="pylon-chat-settings"[^>]*>(.*?)</script>',
                      str(page), re.S)
        if not m:
            sys.exit(f"bench_web: {label}: no settings element in a page")
        got.append(json.loads(m.group(1)))
    if got[0] != got[1] or got[0].get("email") != EMAIL:
        sys.exit(f"bench_web: {label}: the drop-in and the idiom differ: {got}")


def calibrate(fn, target_s):
    timer = timeit.Timer(fn, timer=time.thread_time)
    n = 1
    while True:
        t = timer.timeit(n)
        if t >= target_s / 5 or n >= 1 << 22:
            return timer, max(1, int(n * target_s / max(t, 1e-9)))
        n *= 4


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a few short rounds (CI)")
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--target-ms", type=float)
    a = ap.parse_args(argv)
    rounds = a.rounds or (3 if a.quick else 15)
    target = (a.target_ms or (3 if a.quick else 30)) / 1000
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.modules.setdefault("bench_web", sys.modules[__name__])
    import django
    import fastapi
    import flask
    import pylon_idv
    groups = django_rows() + flask_rows() + fastapi_rows()
    timers = [[calibrate(fn, target) for fn in g[2:]] for g in groups]
    samples = [[[] for _ in g[2:]] for g in groups]
    for _ in range(rounds):
        for gi, g in enumerate(timers):
            for ri, (timer, n) in enumerate(g):
                samples[gi][ri].append(timer.timeit(n) / n * 1e6)
    print(f"## Web pages: the drop-ins against the hand-written idiom (pylon_idv "
          f"{pylon_idv.__version__}; Django {django.__version__}, Flask {flask.__version__}, "
          f"FastAPI {fastapi.__version__}; a page of 20 paragraphs, a signed-in user; "
          f"{rounds} interleaved rounds)")
    print()
    print("| framework | view | page alone (us) | with the drop-in (us) | with the idiom (us) "
          "| drop-in adds (us) | idiom adds (us) | drop-in / idiom |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for (fw, kind, *_), (s_none, s_drop, s_idiom) in zip(groups, samples):
        m = [statistics.median(s) for s in (s_none, s_drop, s_idiom)]
        # the added times per round (each round's three rows see the same machine)
        add_drop = statistics.median(d - n for d, n in zip(s_drop, s_none))
        add_idiom = statistics.median(i - n for i, n in zip(s_idiom, s_none))
        ratio = add_drop / add_idiom if add_idiom > 0 else float("nan")
        print(f"| {fw} | {kind} | {m[0]:.1f} | {m[1]:.1f} | {m[2]:.1f} | {add_drop:.1f} | "
              f"{add_idiom:.1f} | {ratio:.2f}x |")
    print()
    print("(added times: the median over rounds of each round's difference to the page alone; "
          "target: the drop-in adds <= 0.5x what the idiom adds)")


if __name__ == "__main__":
    main()
