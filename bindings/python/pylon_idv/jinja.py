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
failing hook or bad field at render time logs one ERROR line and renders nothing.
"""

import jinja2
from markupsafe import Markup

from . import _web
from ._web import ConfigError

__all__ = ["ConfigError", "PylonChat", "install"]

DEFAULT_SCRIPT_URL = "/_pylon_idv/pylon-chat.js"


class PylonChat:
    """What install() returns; ``fingerprint`` names the secret in use (safe to log)."""

    def __init__(self, page, email, fields, nonce):
        self.page, self.email, self.fields, self.nonce = page, email, fields, nonce

    @property
    def fingerprint(self):
        return self.page.fingerprint

    def _nonce(self, context, request):
        if self.nonce is not None:
            return self.nonce(request)
        nonce = context.get("csp_nonce")
        if nonce is None and request is not None:
            nonce = getattr(getattr(request, "state", None), "csp_nonce", None)
            if nonce is None:
                nonce = getattr(request, "csp_nonce", None)
        return None if nonce is None else str(nonce)

    def render(self, context, fields):
        """The Markup for a template context (what the ``pylon_chat()`` global returns)."""
        request = context.get("request")
        try:
            email = self.email(request) if self.email else None
            extra = dict(self.fields(request) or {}) if self.fields else {}
            extra.update(fields)
            return Markup(self.page.render(email, nonce=self._nonce(context, request),
                                           fields=extra))
        except Exception as e:
            _web.log_once(("jinja-render", type(e)), "pylon_idv: pylon_chat() renders nothing: "
                          "%s: %s", type(e).__name__, e, exc_info=True)
            return Markup("")


def install(env, *, app_id, email=None, fields=None, nonce=None, mode="data",
            script_url=DEFAULT_SCRIPT_URL, secret_env=None, previous_secrets_env=None,
            name="pylon_chat", environ=None):
    """Check the configuration, add the global ``name`` to ``env``; returns the PylonChat.

    email, fields, nonce: callables of the request (or dotted paths to them). mode "data"
    (default) renders the data element and ``<script src=script_url>`` for pylon-chat.js (serve
    ``pylon_idv.static_path()`` there); "inline" renders inline scripts with the nonce.
    Raises ConfigError (a ValueError) for every problem found, and TypeError when env is not a
    jinja2.Environment."""
    try:
        if not isinstance(env, jinja2.Environment):
            raise TypeError("pylon_idv.jinja.install() needs a jinja2.Environment "
                            "(for Starlette/FastAPI: templates.env)")
        names = {"app_id": "app_id", "secret_env": "secret_env",
                 "previous_env": "previous_secrets_env", "mode": "mode",
                 "script_url": "script_url"}
        page, problems = _web.load(app_id=app_id, secret_env=secret_env,
                                   previous_env=previous_secrets_env, mode=mode,
                                   script_url=script_url, environ=environ, names=names)
        hooks = [_web.resolve_hook(email, "email", problems),
                 _web.resolve_hook(fields, "fields", problems),
                 _web.resolve_hook(nonce, "nonce", problems)]
        if problems:
            raise ConfigError(problems)
        chat = PylonChat(page, *hooks)

        @jinja2.pass_context
        def pylon_chat(context, **fields):
            return chat.render(context, fields)

        env.globals[name] = pylon_chat
        _web.log.info("pylon_idv: identity secret %s, mode %s", page.fingerprint, page.mode)
        return chat
    except BaseException:
        # No frame keeps the configuration once this raises (error trackers record locals):
        # environ holds the secrets, and any setting may be a secret pasted in the wrong place.
        app_id = email = fields = nonce = mode = script_url = secret_env = None
        previous_secrets_env = environ = None
        raise
