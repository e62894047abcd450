"""System checks: ``manage.py check`` (and runserver, migrate) report a bad configuration as
``pylon_idv.E001`` ... each with its fix, never with a traceback and never with the secret.

    E001  the secret's environment variable (PYLON_IDV_SECRET_ENV) is not set or empty
    E002  the secret is malformed
    E003  a previous secret is malformed
    E004  PYLON_IDV_APP_ID is not set
    E005  PYLON_IDV_APP_ID is malformed
    E006  a setting has the wrong type (PYLON_IDV_SECRET_ENV, ..._MODE, ..._SCRIPT_URL)
    E007  PYLON_IDV_EMAIL or PYLON_IDV_FIELDS is not a callable or cannot be imported
    W001  mode "data" without django.contrib.staticfiles and without PYLON_IDV_SCRIPT_URL:
          nothing serves pylon-chat.js
"""

from django.conf import settings
from django.core import checks

from . import conf


@checks.register("pylon_idv")
def check_pylon_idv(app_configs=None, **kwargs):
    conf.reset()                        # a check reads the environment as it is now
    s = conf.state()
    out = [checks.Error(p.message, hint=p.hint, id="pylon_idv." + p.id) for p in s.problems]
    if (s.page is not None and s.page.mode == "data" and s.page.script_url is None
            and "django.contrib.staticfiles" not in settings.INSTALLED_APPS):
        out.append(checks.Warning(
            "PYLON_IDV_MODE is \"data\" but django.contrib.staticfiles is not installed: "
            "nothing serves pylon-chat.js.",
            hint="add \"django.contrib.staticfiles\" to INSTALLED_APPS (and run collectstatic "
                 "in production), or set PYLON_IDV_SCRIPT_URL to where you serve it.",
            id="pylon_idv.W001"))
    return out
