"""``{% load pylon_idv %}`` then ``{% pylon_chat %}`` (before ``</body>``).

Renders the chat settings for ``request.user`` (a visitor who is not logged in gets the app id
and the fields only) and what loads the widget. Keyword arguments become extra settings,
over those of the PYLON_IDV_FIELDS hook: ``{% pylon_chat name=request.user.get_full_name %}``.
The CSP nonce is ``request.csp_nonce`` (Django 6's own CSP, or django-csp) or the context's
``csp_nonce``, when present.

In an async view (ASGI) the template renders in the event loop, where Django refuses database
queries: the user the view already loaded (``await request.auser()``, or ``request.user``
evaluated) is used as it is, and when the lazy user or a hook needs the database after all
(Django raises SynchronousOnlyOperation before the query) the work runs again in a worker
thread, whose connections are closed after it.

A broken configuration or a failing hook renders nothing and logs an ERROR line with its cause
(logger "pylon_idv", at most one a minute per cause); with ``DEBUG = True`` it raises, so the
error page shows it. ``PYLON_IDV_ENABLED = False`` renders nothing, silently.
"""

import concurrent.futures
import threading

from django import template
from django.conf import settings
from django.core.exceptions import SynchronousOnlyOperation
from django.templatetags.static import static
from django.utils.safestring import mark_safe

from ... import _web
from .. import conf

register = template.Library()

_pool = None
_pool_lock = threading.Lock()


def _email(request):
    user = getattr(request, "_acached_user", None)        # the view awaited request.auser()
    if user is None:
        user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    field = user.get_email_field_name() if hasattr(user, "get_email_field_name") else "email"
    return getattr(user, field, None) or None


def _needs_database(s, request):
    """Whether resolving the email and fields may query the database: a hook (we cannot
    know), or a request.user that nobody has loaded yet."""
    if s.email_hook is not None or s.fields_hook is not None:
        return True
    if getattr(request, "_acached_user", None) is not None:
        return False
    user = getattr(request, "user", None)
    wrapped = getattr(user, "_wrapped", None)
    from django.utils.functional import empty
    return user is not None and wrapped is empty


def _resolve(s, request):
    email = (s.email_hook or _email)(request)
    extra = dict(s.fields_hook(request) or {}) if s.fields_hook else {}
    return email, extra


def _resolve_in_thread(s, request):
    """_resolve in a worker thread (no event loop there: Django allows its queries), with
    that thread's database connections closed afterwards."""
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = concurrent.futures.ThreadPoolExecutor(
                    max_workers=4, thread_name_prefix="pylon_idv")

    def run():
        from django.db import connections
        try:
            return _resolve(s, request)
        finally:
            connections.close_all()
    return _pool.submit(run).result()


try:                                                  # Django 6's own CSP (SECURE_CSP)
    from django.middleware.csp import get_nonce as _django_nonce
except ImportError:                                   # Django before 6
    def _django_nonce(request):
        return None


def _nonce(context, request):
    """django-csp's request.csp_nonce, Django 6's own nonce (with or without its context
    processor), or the context's csp_nonce."""
    nonce = getattr(request, "csp_nonce", None)
    if nonce is None and request is not None:
        nonce = _django_nonce(request)
    if nonce is None:
        nonce = context.get("csp_nonce")
    return None if nonce is None else str(nonce)      # a lazy object in django-csp and Django 6


@register.simple_tag(takes_context=True)
def pylon_chat(context, **fields):
    s = conf.state()
    if not s.enabled:
        return ""
    debug = bool(getattr(settings, "DEBUG", False))
    if s.page is None:
        if debug:
            raise _web.ConfigError(_web.errors(s.problems))
        text = "; ".join(str(p) for p in _web.errors(s.problems))
        _web.log_once(("django-config", text), "pylon_idv: {%% pylon_chat %%} renders nothing: "
                      "%s (run manage.py check)", text)
        return ""
    request = getattr(context, "request", None) or context.get("request")
    try:
        if _web.in_event_loop() and _needs_database(s, request):
            try:                      # cheap when nothing touches the database after all
                email, extra = _resolve(s, request)
            except SynchronousOnlyOperation:  # raised before the query: run it off the loop
                email, extra = _resolve_in_thread(s, request)
        else:
            email, extra = _resolve(s, request)
        extra.update(fields)
        page = s.page
        if page.mode == "data" and page.script_url is None:
            page = s.static_page(static)
        return _web.safe(page.render(email, nonce=_nonce(context, request), fields=extra),
                         mark_safe)
    except Exception as e:
        return _web.render_failed("{% pylon_chat %}", e, debug=debug)
