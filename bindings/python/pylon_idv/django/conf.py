"""Settings of the Django app, read lazily and cached: the first check or page reads the
environment and decodes the secret once; a changed PYLON_IDV_* setting (override_settings in
tests) clears the cache. Nothing happens at import time."""

import os
import threading

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from .. import _web

SCRIPT = "pylon-chat.js"
_lock = threading.Lock()
_state = None


def static_root():
    """(app path, static name): the folder whose ``static/`` holds pylon-chat.js, and the
    file's name under it, from ``pylon_idv.static_path()``. (None, name) when no folder of
    that path is called ``static`` (then PYLON_IDV_SCRIPT_URL must say where it is served)."""
    import pylon_idv

    folder = os.path.abspath(pylon_idv.static_path())
    head, rel = folder, []
    while True:
        head, tail = os.path.split(head)
        if not tail:
            return None, SCRIPT
        if tail == "static":
            return head, "/".join(list(reversed(rel)) + [SCRIPT])
        rel.append(tail)


class State:
    def __init__(self, page, problems, email_hook, fields_hook, enabled=True):
        self.page, self.problems = page, problems
        self.email_hook, self.fields_hook = email_hook, fields_hook
        self.enabled = enabled
        self._static_page = None

    def static_page(self, static):
        """The page with pylon-chat.js's static URL (``static`` is Django's), computed once:
        STATIC_URL and the storage do not change while the process runs."""
        page = self._static_page
        if page is None:
            page = self._static_page = _web.Page(self.page.app_id, self.page.signer,
                                                 self.page.mode, script_url(static))
        return page


def script_url(static):
    """Where pylon-chat.js is served: the URL of pylon_idv.django.urls when the site includes
    it (Django serves the file itself), else its static URL (staticfiles)."""
    from django.core.exceptions import ImproperlyConfigured
    from django.urls import NoReverseMatch, reverse
    try:
        return reverse("pylon_idv:script")
    except (NoReverseMatch, ImproperlyConfigured, AttributeError, ImportError):
        return static(static_root()[1])         # (AttributeError: no ROOT_URLCONF at all)


def state():
    """The checked configuration (a State), computed once."""
    global _state
    s = _state
    if s is None:
        with _lock:
            s = _state
            if s is None:
                s = _state = _load()
    return s


def enabled():
    """The PYLON_IDV_ENABLED setting (default True): False turns the drop-in off (no checks,
    the tag renders nothing), for tests and development without the secret."""
    value = getattr(settings, "PYLON_IDV_ENABLED", True)
    return value not in (False, 0, "0", "false", "False", "no", "off", "")


def _load():
    g = lambda name: getattr(settings, name, None)  # noqa: E731
    if not enabled():
        return State(None, [], None, None, enabled=False)
    page, problems = _web.load(app_id=g("PYLON_IDV_APP_ID"), secret_env=g("PYLON_IDV_SECRET_ENV"),
                               previous_env=g("PYLON_IDV_PREVIOUS_SECRETS_ENV"),
                               mode=g("PYLON_IDV_MODE"), script_url=g("PYLON_IDV_SCRIPT_URL"))
    email_hook = _web.resolve_hook(g("PYLON_IDV_EMAIL"), "PYLON_IDV_EMAIL", problems)
    fields_hook = _web.resolve_hook(g("PYLON_IDV_FIELDS"), "PYLON_IDV_FIELDS", problems)
    for hook, setting in ((email_hook, "PYLON_IDV_EMAIL"), (fields_hook, "PYLON_IDV_FIELDS")):
        if _web.is_async_hook(hook):
            problems.append(_web.async_hook_problem(setting, "Django's template engine"))
    if _web.errors(problems):
        page = None
    return State(page, problems, email_hook, fields_hook)


def reset():
    global _state
    with _lock:
        _state = None


@receiver(setting_changed)
def _setting_changed(*, setting, **kwargs):
    if setting.startswith("PYLON_IDV_") or setting in ("STATIC_URL", "INSTALLED_APPS"):
        reset()
