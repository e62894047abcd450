"""System checks: ``manage.py check`` reports a bad configuration as ``pylon_idv.E001`` ...
each with its fix, never with a traceback and never with the secret.

    E001  the secret's environment variable (PYLON_IDV_SECRET_ENV) is not set or empty
    E002  the secret is malformed
    E003  a previous secret is malformed
    E004  PYLON_IDV_APP_ID is not set
    E005  PYLON_IDV_APP_ID is malformed
    E006  a setting has the wrong type (PYLON_IDV_SECRET_ENV, ..._MODE, ..._SCRIPT_URL)
    E007  PYLON_IDV_EMAIL or PYLON_IDV_FIELDS is not a callable or cannot be imported
    E010  PYLON_IDV_EMAIL or PYLON_IDV_FIELDS is ``async def`` (Django templates render
          synchronously: nothing could await it)
    W001  mode "data" without django.contrib.staticfiles and without PYLON_IDV_SCRIPT_URL:
          nothing serves pylon-chat.js
    W002  the secret is not the 64 hex digits Pylon issues (it still signs)
    W004  (logged at server start, not a check) mode "data" under gunicorn/uvicorn with DEBUG
          off, no WhiteNoise and no pylon_idv.django.urls: something must serve STATIC_URL
    W003  the site's Content-Security-Policy (Django 6's SECURE_CSP, django-csp's
          CONTENT_SECURITY_POLICY) would block a source the widget needs: one warning per
          directive, naming it and the sources (pylon_idv.csp.merge_* add them)

The E ids are errors where pages are served: ``check`` (``--deploy`` too), ``runserver`` and
any command not listed below; and at server start under gunicorn, uvicorn and the like
(``PylonIDVConfig.ready`` raises ImproperlyConfigured there, so the worker does not boot). For
the commands that serve no page (``migrate``, ``test``, ``collectstatic``, ``shell``, ...,
NO_PAGE_COMMANDS) they are warnings, so a build or CI step runs without the secret.
``PYLON_IDV_ENABLED = False`` turns the drop-in and its checks off.
"""

import sys

from django.conf import settings
from django.core import checks

from .. import _web
from . import conf

# manage.py commands that render no page: a configuration mistake is a warning for them.
NO_PAGE_COMMANDS = frozenset({
    "migrate", "makemigrations", "showmigrations", "sqlmigrate", "squashmigrations",
    "optimizemigration", "test", "testserver", "collectstatic", "findstatic", "shell",
    "dbshell", "createsuperuser", "changepassword", "loaddata", "dumpdata", "flush",
    "inspectdb", "diffsettings", "compilemessages", "makemessages", "createcachetable",
    "clearsessions", "sendtestemail", "remove_stale_contenttypes", "startapp", "startproject",
    "sqlflush", "sqlsequencereset",
})


def command():
    """The manage.py / django-admin command this process runs, or None."""
    argv = sys.argv
    if len(argv) > 1 and argv[0].endswith(("manage.py", "django-admin", "django-admin.py",
                                            "__main__.py")):
        return argv[1]
    return None


def serves_pages():
    """Whether a configuration mistake is an error here (see the module's docstring)."""
    return command() not in NO_PAGE_COMMANDS


@checks.register("pylon_idv")
def check_pylon_idv(app_configs=None, **kwargs):
    conf.reset()                        # a check reads the environment as it is now
    s = conf.state()
    if not s.enabled:
        return []
    deploy = bool(kwargs.get("include_deployment_checks"))
    error = checks.Error if deploy or serves_pages() else checks.Warning
    out = [(checks.Warning if p.id.startswith("W") else error)(
        p.message, hint=p.hint, id="pylon_idv." + p.id) for p in s.problems]
    if (s.page is not None and s.page.mode == "data" and s.page.script_url is None
            and "django.contrib.staticfiles" not in settings.INSTALLED_APPS):
        p = _web.problem("no_static_app", setting="PYLON_IDV_MODE",
                         detail="django.contrib.staticfiles is not installed.",
                         example="add \"django.contrib.staticfiles\" to INSTALLED_APPS (and "
                                 "run collectstatic in production), or set "
                                 "PYLON_IDV_SCRIPT_URL to where you serve it.")
        out.append(checks.Warning(p.message, hint=p.hint, id="pylon_idv." + p.id))
    out += csp_warnings()
    return out


def csp_warnings():
    """W003 for each directive of the configured policies that blocks the widget."""
    from .. import csp
    out = []
    policies = [("SECURE_CSP", getattr(settings, "SECURE_CSP", None))]
    dj = getattr(settings, "CONTENT_SECURITY_POLICY", None)
    if isinstance(dj, dict):
        policies.append(("CONTENT_SECURITY_POLICY", dj.get("DIRECTIVES")))
    for name, policy in policies:
        if not isinstance(policy, dict) or not policy:
            continue
        by_directive = {}
        for directive, source, why in csp.blocked(policy):
            by_directive.setdefault(directive, []).append((source, why))
        for directive, items in by_directive.items():
            p = _web.problem(
                "csp_blocks", policy=name, directive=directive,
                blocked="; ".join(f"{source} ({why})" for source, why in items),
                helper="pylon_idv.csp." + ("merge_secure_csp(...)" if name == "SECURE_CSP"
                                           else "merge_django_csp(...)"))
            out.append(checks.Warning(p.message, hint=p.hint, id="pylon_idv." + p.id))
    return out


SERVERS = ("gunicorn", "uvicorn", "daphne", "hypercorn", "granian", "uwsgi")


def check_at_server_start():
    """Under an application server (one of SERVERS imported in this process), raise
    ImproperlyConfigured listing the errors, so the server does not start a broken site."""
    if command() is not None or not any(m in sys.modules for m in SERVERS):
        return
    s = conf.state()
    problems = _web.errors(s.problems) if s.enabled else []
    if problems:
        from django.core.exceptions import ImproperlyConfigured
        raise ImproperlyConfigured("pylon_idv is not configured correctly:\n" + "\n".join(
            "  " + str(p) for p in problems))
    for p in s.problems if s.enabled else []:
        _web.log.warning("%s", p)
    w = static_server_warning(s)
    if w is not None:
        _web.log.warning("%s", w)


def static_server_warning(s):
    """W004 at server start: mode "data" loads pylon-chat.js from STATIC_URL, but under an
    application server with DEBUG off nothing in Django serves static files; unless the site
    includes pylon_idv.django.urls or runs WhiteNoise, say what must serve it."""
    if not s.enabled or s.page is None or s.page.mode != "data" or s.page.script_url is not None:
        return None
    if getattr(settings, "DEBUG", False):
        return None
    if any("whitenoise" in str(m).lower() for m in getattr(settings, "MIDDLEWARE", [])):
        return None
    from django.urls import NoReverseMatch, reverse
    try:
        reverse("pylon_idv:script")
        return None
    except NoReverseMatch:
        pass
    except Exception:                 # a URLconf that cannot load yet: no warning rather than
        return None                   # a start-up broken by one
    return _web.problem("static_url", setting="PYLON_IDV_MODE")
