"""What the framework integrations share: configuration, its checks, and the page snippet.

Framework-neutral on purpose: nothing here imports Django, Flask, Jinja2 or Starlette, so
``import pylon_idv`` never pulls a framework in. ``pylon_idv.django``, ``pylon_idv.flask`` and
``pylon_idv.jinja`` translate their own settings into :func:`load` and wrap :meth:`Page.render`
in their own "safe HTML" type.

Problems have ids shared by every integration (Django shows them as ``pylon_idv.E001`` ...),
with their texts and fixes, from the core's one table (core/src/problems.c, which
pylon_idv.openresty reads too; E008 and E009 are OpenResty's):

    E001  the secret's environment variable is not set (or empty)
    E002  the secret is malformed
    E003  a previous secret is malformed
    E004  the app id is not set
    E005  the app id is malformed
    E006  a setting has the wrong type (the variable names, the mode, the script URL)
    E007  a hook (email, fields) is not a callable or cannot be imported
    E010  a hook is ``async def`` where templates render synchronously (Django, Flask, a
          Jinja2 Environment without enable_async): nothing could await it
    W002  the secret is valid hex but not the 64 digits Pylon issues (half of one, pasted):
          a warning, the drop-in still works with it

A message names the setting and the rule, never a value: a secret pasted into the wrong
setting must not land in a log (a name that is 16 or more hex digits and nothing else is taken
for a pasted secret: E006, never echoed).

Previous secrets (rotation) are one environment variable, split by :func:`previous_secrets`,
the one rule every integration uses:

- commas separate the entries: ``PYLON_IDENTITY_SECRET_PREVIOUS="<old 1>,<old 2>"``;
- whitespace around an entry (space, tab, CR, LF) is ignored: the core trims it, as it trims
  the current secret (``"<old 1>, <old 2>\n"`` is two secrets);
- an empty entry is skipped (``"<old 1>,,<old 2>,"``, or a variable holding only spaces);
  entries are numbered without them, so ``previous secret #2`` is the one ``Signer.match``
  returns 2 for;
- whitespace INSIDE an entry is an error naming the entry (E003, ``previous secret #1 ... has
  whitespace inside``): ``"<old 1> <old 2>"`` is never read as two secrets, as the core never
  reads ``"<32 hex> <32 hex>"`` as one;
- any other malformed entry is E003 with the core's reason and position, in the entry as given.

No frame here keeps a secret, nor the environment that holds it, once an exception leaves it
(error trackers record the local variables of every frame): the functions that touch them
clear their names on the way out.
"""

import asyncio
import importlib
import inspect
import logging
import os
import re
import threading
import time

import pylon_idv
from pylon_idv._pylon_idv import _data_tag, _problems

log = logging.getLogger("pylon_idv")

DEFAULT_SECRET_ENV = "PYLON_IDENTITY_SECRET"
DEFAULT_PREVIOUS_ENV = "PYLON_IDENTITY_SECRET_PREVIOUS"
MODES = ("data", "inline")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PASTED_SECRET = re.compile(r"[0-9A-Fa-f]{16,}\Z")      # a variable "name" that is a secret
_TRIM = " \t\r\n"                                        # what the core trims around a secret
_SPACE = re.compile(r"\s")
_GENERATE = "python -m pylon_idv generate-secret"
SECRET_DIGITS = 64                                       # what Pylon issues: 32 bytes as hex


_TABLE = _problems()       # key -> (id, text, fix): the core's one table, which Lua reads too


class Problem:
    """One configuration problem: an id (``"E001"``), what is wrong, and how to fix it."""

    __slots__ = ("id", "message", "hint")

    def __init__(self, id, message, hint):
        self.id, self.message, self.hint = id, message, hint

    def __str__(self):
        return f"pylon_idv.{self.id}: {self.message} Fix: {self.hint}"

    def __repr__(self):
        return f"Problem({self.id!r}, {self.message!r})"


def problem(key, **values):
    """The table's problem ``key`` with its placeholders filled from values (the setting's
    name in this framework, ...): every text comes from the core's table."""
    id, text, fix = _TABLE[key]
    values.setdefault("generate", _GENERATE)
    return Problem(id, text.format_map(values), fix.format_map(values))


def errors(problems):
    """The problems that stop the drop-in (E...), without the warnings (W...)."""
    return [p for p in problems if not p.id.startswith("W")]


class ConfigError(pylon_idv.Error, ValueError):
    """The integration's configuration is wrong; ``problems`` lists every problem found.

    Raised at start-up (``PylonIDV.init_app``, ``pylon_idv.jinja.install``); its message has one
    line per problem, each with its id and its fix, and never a secret."""

    def __init__(self, problems):
        self.problems = list(problems)
        lines = "\n".join("  " + str(p) for p in self.problems)
        super().__init__(f"pylon_idv is not configured correctly:\n{lines}")


def _core_accepts(render, value):
    """Whether the core's renderer takes value (an app id, a script URL): its rules, not ours."""
    try:
        render(value)
        return True
    except ValueError:
        return False


def previous_secrets(text, where, problems):
    """The entries of a previous-secrets variable, by the rule in this module's docstring: a
    list of the non-empty entries as given (the core trims them), problems appended (E003) for
    the malformed ones, each named ``previous secret #k`` in ``where``. No local holds an entry
    once this returns or raises."""
    entries = entry = rest = None
    try:
        entries = []
        for entry in (text or "").split(","):
            rest = entry.strip(_TRIM)
            if not rest:
                continue                             # an empty entry: skipped, not numbered
            entries.append(entry)
            k = len(entries)
            if _SPACE.search(rest):
                problems.append(problem("previous_space", k=k, where=where))
                continue
            try:
                pylon_idv.Signer(entry)              # one by one, to name the bad one
            except pylon_idv.InvalidSecretError as e:
                # e.reason: the core's words (the rule and a position), never the secret
                problems.append(problem("previous_malformed", k=k, where=where, reason=e.reason))
        return entries
    finally:
        entries = entry = rest = text = None


def _signer(secret_env, previous_env, environ, problems):
    """The Signer, or None with problems appended. No local holds a secret, nor the
    environment, when this returns or raises (error trackers record the locals of every
    frame). TypeError when environ holds something else than str for a variable it reads."""
    secret = previous = entries = None
    try:
        if environ is None:
            environ = os.environ
        found = len(problems)
        secret = environ.get(secret_env)
        previous = environ.get(previous_env)
        for name, value in ((secret_env, secret), (previous_env, previous)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"the environment variable {name} must hold a str, "
                                f"not {type(value).__name__}")
        value = None
        if secret is None or not secret.strip():
            problems.append(problem(
                "secret_missing", env=secret_env, env_note="",
                env_fix=", or name another variable in the PYLON_IDV_SECRET_ENV setting"))
        else:
            try:
                pylon_idv.Signer(secret)
                if len(secret.strip(_TRIM)) != SECRET_DIGITS:
                    problems.append(problem("secret_length", env=secret_env,
                                            detail=len(secret.strip(_TRIM))))
            except pylon_idv.InvalidSecretError as e:
                problems.append(problem("secret_malformed", reason=e.reason,
                                        where=f"the environment variable {secret_env}"))
        entries = previous_secrets(previous, f"the environment variable {previous_env}",
                                   problems)
        if not errors(problems[found:]):
            return pylon_idv.Signer(secret, previous=entries)
        return None
    finally:
        secret = previous = entries = environ = value = None


def resolve_hook(value, setting, problems):
    """A callable, or a dotted path ``"package.module.function"`` to one; None stays None."""
    if value is None or callable(value):
        return value
    if isinstance(value, str):
        module, _, name = value.rpartition(".")
        try:
            fn = getattr(importlib.import_module(module), name) if module else None
        except Exception as e:  # ImportError, or whatever the module raises on import
            problems.append(problem("hook_import", setting=setting, detail=type(e).__name__))
            return None
        if callable(fn):
            return fn
    problems.append(problem("hook_type", setting=setting))
    return None


class Page:
    """A checked configuration: renders the snippet for one visitor.

    mode ``"data"``: the settings as a JSON data element (never executed) and
    ``<script src=SCRIPT_URL>`` loading pylon-chat.js from your own origin, which sets
    ``window.pylon.chat_settings`` and loads the widget: works under Pylon's documented policy
    ``script-src 'self' https://widget.usepylon.com``. ``"inline"``: an inline settings script
    and the widget loader (both with the CSP nonce, when there is one)."""

    def __init__(self, app_id, signer, mode, script_url):
        self.app_id, self.signer, self.mode, self.script_url = app_id, signer, mode, script_url
        # what does not change between requests, computed once: the loader tag without a
        # nonce, the widget loader without a nonce
        self._tag = (str(pylon_idv.script_tag(script_url)) if mode == "data" and script_url
                     else None)
        self._widget = str(pylon_idv.widget_script(app_id)) if mode == "inline" else None

    @property
    def fingerprint(self):
        return self.signer.fingerprint

    def render(self, email, *, nonce=None, fields=None):
        """The HTML for a visitor (email None: not logged in): a pylon_idv.HTML in mode
        "data", a plain str in mode "inline" (see safe()).

        Raises as the page API does (TypeError, ValueError) for bad fields or a bad nonce;
        the integrations catch that, log it and render nothing."""
        if not fields:
            fields = {}
        if email == "":
            email = None                       # a user without an email is a visitor
        if self.mode == "inline":
            if nonce is None:
                return (pylon_idv.chat_settings_script(email, self.signer, app_id=self.app_id,
                                                       **fields) + self._widget)
            return (pylon_idv.chat_settings_script(email, self.signer, app_id=self.app_id,
                                                   nonce=nonce, **fields)
                    + pylon_idv.widget_script(self.app_id, nonce=nonce))
        tag = self._tag if nonce is None else str(pylon_idv.script_tag(self.script_url,
                                                                       nonce=nonce))  # first
        # the data element and the tag as one pylon_idv.HTML, built once in C (not a str
        # concatenation, then a Markup copy of it, on every page)
        return _data_tag(tag, email, self.signer, self.app_id, fields)


def safe(html, markup):
    """html as the template engine's safe string: a pylon_idv.HTML is one already (its
    __html__ returns it: no copy); a plain str goes through markup (Markup, mark_safe)."""
    return html if type(html) is not str else markup(html)


def load(*, app_id, secret_env=None, previous_env=None, mode=None, script_url=None,
         environ=None, names=None):
    """Check a configuration: (Page or None, [Problem, ...]); the Page is None when any
    problem is an error (E...), and given with the warnings (W...) otherwise.

    environ is the environment to read the secrets from (default ``os.environ``); names maps
    the generic setting names to the framework's own, for the messages
    (``{"app_id": "PYLON_IDV_APP_ID", ...}``). A value of the configuration (a secret pasted
    into the wrong setting) is in no local of this frame once an exception leaves it."""
    key = value = None
    try:
        names = dict({"app_id": "PYLON_IDV_APP_ID", "secret_env": "PYLON_IDV_SECRET_ENV",
                      "previous_env": "PYLON_IDV_PREVIOUS_SECRETS_ENV", "mode": "PYLON_IDV_MODE",
                      "script_url": "PYLON_IDV_SCRIPT_URL"}, **(names or {}))
        problems = []
        secret_env = DEFAULT_SECRET_ENV if secret_env is None else secret_env
        previous_env = DEFAULT_PREVIOUS_ENV if previous_env is None else previous_env
        env_ok = True
        for key, value in (("secret_env", secret_env), ("previous_env", previous_env)):
            if (not isinstance(value, str) or not _ENV_NAME.match(value)
                    or _PASTED_SECRET.match(value)):
                env_ok = False
                problems.append(problem("env_name", setting=names[key],
                                        example=DEFAULT_SECRET_ENV))
        key = value = None
        if app_id is None or app_id == "":
            problems.append(problem("app_id_missing", setting=names["app_id"]))
        elif not isinstance(app_id, str) or not _core_accepts(pylon_idv.widget_script, app_id):
            problems.append(problem("app_id_malformed", setting=names["app_id"]))
        mode = "data" if mode is None else mode
        if not isinstance(mode, str) or mode not in MODES:
            problems.append(problem("mode", setting=names["mode"]))
        if script_url is not None and (not isinstance(script_url, str)
                                       or not _core_accepts(pylon_idv.script_tag, script_url)):
            problems.append(problem("script_url", setting=names["script_url"]))
        signer = _signer(secret_env, previous_env, environ, problems) if env_ok else None
        if errors(problems):
            return None, problems
        return Page(app_id, signer, mode, script_url), problems
    except BaseException:
        app_id = secret_env = previous_env = mode = script_url = environ = names = None
        key = value = None
        raise


# ----------------------------------------------------------------- failures at render time

FAILURE_INTERVAL = 60.0           # seconds: at most one log line per cause in that time
_failures = {}                    # cause -> [time of its last line, renders failed since]
_failures_lock = threading.Lock()


def render_failed(where, exc, *, debug=False):
    """A render failed: log it with its cause, rate-limited per cause (one ERROR line a
    minute at most for the same where, exception type and message; the next line counts the
    failures it stood for), or raise it under the framework's debug mode. Returns "" (what a
    failed tag renders) when it does not raise."""
    if debug:
        raise exc
    cause = (where, type(exc).__name__, str(exc))
    now = time.monotonic()
    with _failures_lock:
        seen = _failures.get(cause)
        if seen is not None and now - seen[0] < FAILURE_INTERVAL:
            seen[1] += 1
            return ""
        if len(_failures) >= 1024:                 # many distinct causes: forget the oldest
            for key in sorted(_failures, key=lambda k: _failures[k][0])[:512]:
                del _failures[key]
        _failures[cause] = [now, 0]
    more = f" ({seen[1]} more since the last line)" if seen is not None and seen[1] else ""
    log.error("pylon_idv: %s renders nothing: %s: %s%s", where, type(exc).__name__, exc, more,
              exc_info=exc)
    return ""


def log_once(key, message, *args, exc_info=False):
    """An ERROR line for a configuration problem found at render time, rate-limited as
    render_failed is (per key, one a minute)."""
    now = time.monotonic()
    with _failures_lock:
        seen = _failures.get(("config", key))
        if seen is not None and now - seen[0] < FAILURE_INTERVAL:
            seen[1] += 1
            return
        _failures[("config", key)] = [now, 0]
    log.error(message, *args, exc_info=exc_info)


# ----------------------------------------------------------------- async hooks

def is_async_hook(fn):
    """Whether calling fn gives a coroutine (an ``async def`` function or callable object)."""
    return fn is not None and (inspect.iscoroutinefunction(fn)
                               or inspect.iscoroutinefunction(getattr(fn, "__call__", None)))


def async_hook_problem(setting, where):
    """E010: an ``async def`` hook given where templates render synchronously."""
    return problem("async_hook", setting=setting, where=where)


def in_event_loop():
    """Whether this thread runs an asyncio event loop (code here must not block on I/O).
    asyncio._get_running_loop answers without raising (get_running_loop raises when there is
    none: an exception on every sync render)."""
    return asyncio._get_running_loop() is not None
