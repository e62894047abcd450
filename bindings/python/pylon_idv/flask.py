"""Flask extension: ``PylonIDV(app)`` (or ``init_app``) and ``{{ pylon_chat() }}`` in templates.

    from pylon_idv.flask import PylonIDV
    app.config["PYLON_IDV_APP_ID"] = "your-app-id"   # the secret stays in the environment
    pylon = PylonIDV(app)

    @pylon.email_loader
    def current_email():                 # the signed-in user's email, or None for a visitor
        return session.get("email")

Then ``{{ pylon_chat() }}`` before ``</body>`` (no ``|safe``, no ``Markup``): the chat settings
and what loads the widget; keyword arguments are extra settings
(``{{ pylon_chat(name=user.name) }}``). Config keys, as in Django:

    PYLON_IDV_APP_ID                 your Pylon app id (required)
    PYLON_IDV_SECRET_ENV             the environment variable holding the identity secret
                                     (default "PYLON_IDENTITY_SECRET")
    PYLON_IDV_PREVIOUS_SECRETS_ENV   the variable holding previous secrets, separated by
                                     commas (default "PYLON_IDENTITY_SECRET_PREVIOUS"; the rule
                                     is in pylon_idv._web: a space inside one is an error)
    PYLON_IDV_MODE                   "data" (default: a JSON data element and pylon-chat.js,
                                     served by this extension at /_pylon_idv/pylon-chat.js) or
                                     "inline" (inline scripts with the CSP nonce)
    PYLON_IDV_SCRIPT_URL             serve pylon-chat.js from elsewhere (a CDN, your static/)
    PYLON_IDV_EMAIL                  callable() -> email or None (or its dotted path); the
                                     email_loader decorator sets it. Default: flask_login's
                                     current_user.email when flask_login is installed
    PYLON_IDV_FIELDS                 callable() -> dict of extra settings (or its dotted path)
    PYLON_IDV_ENABLED                False turns the extension off: nothing is checked and
                                     pylon_chat() renders nothing (default True)

The nonce is ``request.csp_nonce`` (Flask-Talisman) or ``g.csp_nonce`` when set. A bad
configuration raises :class:`ConfigError` from ``init_app``, at start-up, listing every problem
with its id and fix; a failing hook or bad field renders nothing and logs an ERROR line with
its cause (logger "pylon_idv"; at most one a minute per cause), or raises when ``app.debug``.
Hooks are plain functions (Flask renders synchronously: an ``async def`` one is E010).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Optional, TypeVar, Union

import flask
from markupsafe import Markup

import pylon_idv

from . import _web
from ._web import ConfigError

__all__ = ["ConfigError", "PylonIDV"]

STATIC_URL_PATH = "/_pylon_idv"

#: An email hook: the signed-in user's email, or None for a visitor.
EmailHook = Callable[[], Optional[str]]
#: A fields hook: extra chat settings (None values are dropped).
FieldsHook = Callable[[], Optional[Mapping[str, Union[str, int, float, bool, None]]]]
_E = TypeVar("_E", bound=EmailHook)
_F = TypeVar("_F", bound=FieldsHook)


def _flask_login_email():
    try:
        from flask_login import current_user
    except ImportError:
        return None
    if not getattr(current_user, "is_authenticated", False):
        return None
    return getattr(current_user, "email", None) or None


class PylonIDV:
    """The extension; one instance may serve several apps (``init_app`` each)."""

    def __init__(self, app: Optional[flask.Flask] = None, *,
                 email: Optional[EmailHook] = None, fields: Optional[FieldsHook] = None) -> None:
        self._email = email
        self._fields = fields
        if app is not None:
            self.init_app(app)

    def email_loader(self, fn: _E) -> _E:
        """Decorator: ``fn()`` returns the current user's email, or None for a visitor.
        TypeError when fn is not callable or is ``async def`` (Flask renders synchronously)."""
        if not callable(fn):
            raise TypeError("email_loader() decorates a function (called with no arguments)")
        if _web.is_async_hook(fn):
            raise TypeError("email_loader() needs a plain function: Flask renders templates "
                            "synchronously and cannot await an async def")
        self._email = fn
        return fn

    def fields_loader(self, fn: _F) -> _F:
        """Decorator: ``fn()`` returns a dict of extra settings (name, avatar_url, ...).
        TypeError when fn is not callable or is ``async def`` (Flask renders synchronously)."""
        if not callable(fn):
            raise TypeError("fields_loader() decorates a function (called with no arguments)")
        if _web.is_async_hook(fn):
            raise TypeError("fields_loader() needs a plain function: Flask renders templates "
                            "synchronously and cannot await an async def")
        self._fields = fn
        return fn

    def init_app(self, app: flask.Flask) -> None:
        """Check the configuration and install ``pylon_chat()``; raises ConfigError."""
        c = app.config
        if c.get("PYLON_IDV_ENABLED", True) in (False, 0, "0", "false", "False", "no", "off", ""):
            app.add_template_global(lambda **fields: Markup(""), "pylon_chat")
            return                      # turned off: nothing checked, nothing rendered
        try:
            page, problems = _web.load(app_id=c.get("PYLON_IDV_APP_ID"),
                                       secret_env=c.get("PYLON_IDV_SECRET_ENV"),
                                       previous_env=c.get("PYLON_IDV_PREVIOUS_SECRETS_ENV"),
                                       mode=c.get("PYLON_IDV_MODE"),
                                       script_url=c.get("PYLON_IDV_SCRIPT_URL"))
            email = _web.resolve_hook(c.get("PYLON_IDV_EMAIL"), "PYLON_IDV_EMAIL", problems)
            fields = _web.resolve_hook(c.get("PYLON_IDV_FIELDS"), "PYLON_IDV_FIELDS", problems)
            for hook, setting in ((email or self._email, "PYLON_IDV_EMAIL"),
                                  (fields or self._fields, "PYLON_IDV_FIELDS")):
                if _web.is_async_hook(hook):
                    problems.append(_web.async_hook_problem(setting, "Flask"))
            if _web.errors(problems):
                raise ConfigError(_web.errors(problems))
            for p in problems:
                app.logger.warning("%s", p)
            state = _State(page, email, fields)
            app.extensions["pylon_idv"] = state
            if page.mode == "data" and page.script_url is None:
                bp = flask.Blueprint("pylon_idv", __name__,
                                     static_folder=pylon_idv.static_path(),
                                     static_url_path=STATIC_URL_PATH)
                app.register_blueprint(bp)
            app.add_template_global(self._pylon_chat, "pylon_chat")
            app.logger.info("pylon_idv: identity secret %s, mode %s", page.fingerprint,
                            page.mode)
        except BaseException:
            c = None            # the config (a secret pasted into a setting): in no frame's locals
            raise

    def _pylon_chat(self, **fields: Any) -> Markup:
        state = flask.current_app.extensions["pylon_idv"]
        return state.render(self._email, self._fields, fields)


class _State:
    def __init__(self, page, email, fields):
        self.page, self.email, self.fields = page, email, fields
        self._pages = {}              # the page with pylon-chat.js's URL, per script root

    def _static_page(self):
        """The page with url_for's URL of pylon-chat.js, computed once per script root (the
        prefix a WSGI server mounts the app under): it does not change between requests."""
        root = flask.request.script_root if flask.has_request_context() else ""
        page = self._pages.get(root)
        if page is None:
            if len(self._pages) > 64:
                self._pages.clear()
            page = self._pages[root] = _web.Page(
                self.page.app_id, self.page.signer, self.page.mode,
                flask.url_for("pylon_idv.static", filename="pylon-chat.js"))
        return page

    def render(self, email_fn, fields_fn, fields):
        page = self.page
        try:
            email_fn = email_fn or self.email or _flask_login_email     # the decorator wins
            fields_fn = fields_fn or self.fields
            if fields_fn:
                extra = fields_fn()
                if fields:
                    extra = dict(extra or {}, **fields)
            else:
                extra = fields
            if page.mode == "data" and page.script_url is None:
                page = self._static_page()
            nonce = None
            if flask.has_request_context():
                # Flask-Talisman's request.csp_nonce, read from the request's own attributes
                # (a missing attribute through the proxy costs an exception per render)
                nonce = vars(flask.request._get_current_object()).get("csp_nonce")
            if nonce is None and flask.has_app_context():
                nonce = flask.g.get("csp_nonce")
            return _web.safe(page.render(email_fn(), nonce=nonce, fields=extra), Markup)
        except Exception as e:
            return Markup(_web.render_failed("pylon_chat()", e, debug=flask.current_app.debug))
