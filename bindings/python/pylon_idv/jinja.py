"""Jinja2, any Environment: ``install(env, ...)`` adds the ``pylon_chat()`` global.

Starlette / FastAPI (``Jinja2Templates`` puts the request into every template's context)::

    from fastapi.staticfiles import StaticFiles
    from fastapi.templating import Jinja2Templates
    import pylon_idv, pylon_idv.jinja

    templates = Jinja2Templates(directory="templates")
    pylon_idv.jinja.install(templates.env, app_id="your-app-id",
                            email=lambda request: request.session.get("email"))
    app.mount("/_pylon_idv", StaticFiles(directory=pylon_idv.static_path()), name="pylon_idv")

then ``{{ pylon_chat() }}`` before ``</body>``: no ``|safe``, no ``Markup``. Keyword arguments
are extra settings (``{{ pylon_chat(name=user.name) }}``).

``email(request)`` and ``fields(request)`` get the context's ``request`` (None when the
template has none). The CSP nonce is ``nonce(request)`` when given, else the context's
``csp_nonce``, ``request.state.csp_nonce`` (Starlette) or ``request.csp_nonce``. The secret is
read from the environment variable ``secret_env`` when ``install`` runs, previous secrets from
``previous_secrets_env``, separated by commas (the rule is in ``pylon_idv._web``; a space inside
one is an error, never two secrets): a bad configuration
raises :class:`ConfigError` there, at start-up, listing every problem with its id and fix; a
failing hook or bad field at render time renders nothing and logs an ERROR line with its cause
(at most one a minute per cause), or raises when ``debug=True``.

Async: in an Environment made with ``enable_async=True`` (Quart's; or your own, rendered with
``render_async``) the hooks may be ``async def``: ``pylon_chat()`` then awaits them. In a
synchronous Environment an ``async def`` hook is refused at ``install`` (E010).

Data mode needs pylon-chat.js served: ``install(..., app=app)`` with a Starlette/FastAPI app
mounts ``pylon_idv.static_path()`` at the script URL's folder itself; without ``app`` it logs
at start-up that something must serve it (a framework with its own static server, or your
mount), unless ``script_url`` was given.
"""

from __future__ import annotations

import inspect
import posixpath
from typing import Any, Awaitable, Callable, Literal, Mapping, Optional, TypeVar, Union

import jinja2
from markupsafe import Markup

import pylon_idv

from . import _web
from ._web import ConfigError

__all__ = ["ConfigError", "PylonChat", "install"]

DEFAULT_SCRIPT_URL = "/_pylon_idv/pylon-chat.js"

_T = TypeVar("_T")
#: A hook: called with the template context's ``request`` (None when it has none); its result
#: or, in an Environment with enable_async=True, an awaitable of it.
Hook = Callable[[Any], Union[_T, Awaitable[_T]]]
#: A value of the chat settings: None drops the field.
Field = Union[str, int, float, bool, None]


def _lookup(context, key):
    """context.get(key) from the Context's documented dicts (vars, then parent): the same
    answer, without Context.get's method layers on every render."""
    local = getattr(context, "vars", None)
    if local is None:                          # a plain mapping given as the context
        return context.get(key)
    if key in local:
        return local[key]
    return context.parent.get(key)


class PylonChat:
    """What install() returns; ``fingerprint`` names the secret in use (safe to log)."""

    def __init__(self, page: Any, email: Optional[Hook[Optional[str]]],
                 fields: Optional[Hook[Optional[Mapping[str, Field]]]],
                 nonce: Optional[Hook[Optional[str]]], debug: bool = False) -> None:
        self.page, self.email, self.fields, self.nonce = page, email, fields, nonce
        self.debug = debug
        self._awaits = [_web.is_async_hook(h) for h in (email, fields, nonce)]
        self.is_async = any(self._awaits)

    @property
    def fingerprint(self) -> str:
        """The secret's fingerprint; "" when the drop-in is turned off (enabled=False)."""
        return "" if self.page is None else str(self.page.fingerprint)

    def _context_nonce(self, context, request):
        nonce = _lookup(context, "csp_nonce")
        if nonce is None and request is not None:
            scope = getattr(request, "scope", None)
            if type(scope) is dict:
                # ASGI (Starlette, FastAPI, Litestar): request.state is scope["state"]; read
                # the dict, not the State object (which raises for every missing name)
                state = scope.get("state")
                if state is None:
                    return None
                if type(state) is dict:
                    return state.get("csp_nonce")
                return getattr(state, "csp_nonce", None)
            nonce = getattr(getattr(request, "state", None), "csp_nonce", None)
            if nonce is None:
                nonce = getattr(request, "csp_nonce", None)
        return nonce

    def render(self, context: Any, fields: Mapping[str, Field]) -> Any:
        """The Markup for a template context (what the ``pylon_chat()`` global returns); an
        awaitable of it when a hook is ``async def`` (the Environment awaits it)."""
        if self.is_async:
            return self._render_async(context, fields)
        request = _lookup(context, "request")
        try:
            email = self.email(request) if self.email else None
            if self.fields:
                extra = self.fields(request)
                if fields:
                    extra = dict(extra or {}, **fields)
            else:
                extra = fields
            nonce = self.nonce(request) if self.nonce else self._context_nonce(context, request)
            return _web.safe(self.page.render(email, nonce=None if nonce is None else str(nonce),
                                              fields=extra), Markup)
        except Exception as e:
            return Markup(_web.render_failed("pylon_chat()", e, debug=self.debug))

    async def _render_async(self, context, fields):
        request = _lookup(context, "request")
        try:
            # a sync hook may still return an awaitable (a partial of an async function):
            # awaited too; a str or dict, the usual answers, is never one (no inspect call)
            email = self.email(request) if self.email else None
            if self._awaits[0] or (type(email) is not str and inspect.isawaitable(email)):
                email = await email
            if self.fields:
                extra = self.fields(request)
                if self._awaits[1] or (type(extra) is not dict and inspect.isawaitable(extra)):
                    extra = await extra
                if fields:
                    extra = dict(extra or {}, **fields)
            else:
                extra = fields
            if self.nonce:
                nonce = self.nonce(request)
                if self._awaits[2] or inspect.isawaitable(nonce):
                    nonce = await nonce
            else:
                nonce = self._context_nonce(context, request)
            return _web.safe(self.page.render(email, nonce=None if nonce is None else str(nonce),
                                              fields=extra), Markup)
        except Exception as e:
            return Markup(_web.render_failed("pylon_chat()", e, debug=self.debug))


def _mount(app, script_url):
    """Serve pylon_idv.static_path() at script_url's folder on a Starlette/FastAPI app."""
    from starlette.staticfiles import StaticFiles
    folder, name = posixpath.split(script_url)
    if name != "pylon-chat.js" or not folder.startswith("/") or folder == "/":
        raise ValueError("pylon_idv.jinja.install(app=...) serves pylon-chat.js at a path "
                         "/FOLDER/pylon-chat.js: set script_url to one, or serve it yourself")
    app.mount(folder, StaticFiles(directory=pylon_idv.static_path()), name="pylon_idv")


def install(env: jinja2.Environment, *, app_id: str,
            email: Union[Hook[Optional[str]], str, None] = None,
            fields: Union[Hook[Optional[Mapping[str, Field]]], str, None] = None,
            nonce: Union[Hook[Optional[str]], str, None] = None,
            mode: Literal["data", "inline"] = "data", script_url: Optional[str] = None,
            secret_env: Optional[str] = None, previous_secrets_env: Optional[str] = None,
            name: str = "pylon_chat", environ: Optional[Mapping[str, str]] = None,
            app: Any = None, debug: bool = False, enabled: bool = True) -> PylonChat:
    """Check the configuration, add the global ``name`` to ``env``; returns the PylonChat.

    email, fields, nonce: callables of the request (or dotted paths to them); ``async def``
    ones only in an Environment with ``enable_async=True`` (E010 otherwise). mode "data"
    (default) renders the data element and ``<script src=script_url>`` for pylon-chat.js
    (default ``/_pylon_idv/pylon-chat.js``); app: a Starlette/FastAPI app on which to mount
    ``pylon_idv.static_path()`` there. "inline" renders inline scripts with the nonce.
    debug=True: a failed render raises instead of being logged. enabled=False turns the
    drop-in off: nothing is checked or read, and ``pylon_chat()`` renders nothing.
    Raises ConfigError (a ValueError) for every problem found, and TypeError when env is not a
    jinja2.Environment."""
    try:
        if not isinstance(env, jinja2.Environment):
            raise TypeError("pylon_idv.jinja.install() needs a jinja2.Environment "
                            "(for Starlette/FastAPI: templates.env)")
        names = {"app_id": "app_id", "secret_env": "secret_env",
                 "previous_env": "previous_secrets_env", "mode": "mode",
                 "script_url": "script_url"}
        given_url = script_url
        if not enabled:
            off = PylonChat(None, None, None, None)
            env.globals[name] = lambda **fields: Markup("")
            return off
        page, problems = _web.load(app_id=app_id, secret_env=secret_env,
                                   previous_env=previous_secrets_env, mode=mode,
                                   script_url=DEFAULT_SCRIPT_URL if script_url is None
                                   else script_url,
                                   environ=environ, names=names)
        hooks = [_web.resolve_hook(email, "email", problems),
                 _web.resolve_hook(fields, "fields", problems),
                 _web.resolve_hook(nonce, "nonce", problems)]
        if not env.is_async:
            for hook, setting in zip(hooks, ("email", "fields", "nonce")):
                if _web.is_async_hook(hook):
                    problems.append(_web.async_hook_problem(
                        setting, "this jinja2.Environment (no enable_async=True)"))
        if _web.errors(problems):
            raise ConfigError(_web.errors(problems))
        for p in problems:
            _web.log.warning("%s", p)
        chat = PylonChat(page, *hooks, debug=bool(debug))

        @jinja2.pass_context
        def pylon_chat(context, **fields):
            return chat.render(context, fields)

        if page.mode == "data":
            if app is not None:
                _mount(app, page.script_url)
            elif given_url is None:
                _web.log.warning(
                    "pylon_idv: mode \"data\" loads %s: serve pylon_idv.static_path() there "
                    "(Starlette/FastAPI: pass app= to pylon_idv.jinja.install, or mount it), "
                    "or the page gets no chat", page.script_url)
        env.globals[name] = pylon_chat
        _web.log.info("pylon_idv: identity secret %s, mode %s", page.fingerprint, page.mode)
        return chat
    except BaseException:
        # No frame keeps the configuration once this raises (error trackers record locals):
        # environ holds the secrets, and any setting may be a secret pasted in the wrong place.
        app_id = email = fields = nonce = mode = script_url = secret_env = None
        previous_secrets_env = environ = None
        raise
