"""Settings of the Django example: what pylon_idv needs is marked "pylon_idv"."""
import os
import secrets
import tempfile

BASE_DIR = os.path.dirname(os.path.abspath(__file__))
DEBUG = os.environ.get("DEMO_DEBUG", "1") == "1"         # runserver serves static files
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or secrets.token_hex(32)  # Django's own
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",      # serves pylon-chat.js (collectstatic in production)
    "pylon_idv.django",                # pylon_idv: {% load pylon_idv %} {% pylon_chat %}
    "demo_site",
]
MIDDLEWARE = [
    "demo_site.csp.ContentSecurityPolicy",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "demo_site.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [os.path.join(BASE_DIR, "templates")],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": ["django.template.context_processors.request",
                                       "django.contrib.auth.context_processors.auth"]},
}]
# A throw-away SQLite file for the demo users (rundemo migrates it), outside the checkout.
DATABASES = {"default": {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": os.environ.get("DEMO_DB") or os.path.join(tempfile.gettempdir(),
                                                      "pylon_idv_django_demo.sqlite3"),
}}
STATIC_URL = "/static/"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---- pylon_idv. The identity secret is NOT here: it is read from the environment variable
# PYLON_IDENTITY_SECRET (PYLON_IDV_SECRET_ENV names another) when first needed.
PYLON_IDV_APP_ID = os.environ.get("PYLON_APP_ID", "demo-app-id")
PYLON_IDV_FIELDS = "demo_site.views.chat_fields"        # name for the widget
# "data" (default): data element + pylon-chat.js, for `script-src 'self' widget.usepylon.com`.
# "inline": inline scripts carrying request.csp_nonce (set by demo_site.csp).
PYLON_IDV_MODE = os.environ.get("DEMO_MODE", "data")
# pylon_idv: the switch (False: no checks, the tag renders nothing), here from the environment
PYLON_IDV_ENABLED = os.environ.get("PYLON_IDV_ENABLED", "1") != "0"

# DEMO_CSP=django (Django 6+): Django's own CSP instead of the demo's middleware, with the
# widget's sources merged into SECURE_CSP by pylon_idv.csp; {% pylon_chat %} takes Django's
# nonce (no context processor needed).
if os.environ.get("DEMO_CSP") == "django":
    import pylon_idv.csp
    from django.utils.csp import CSP

    MIDDLEWARE[0] = "django.middleware.csp.ContentSecurityPolicyMiddleware"
    SECURE_CSP = pylon_idv.csp.merge_secure_csp(
        {"default-src": [CSP.SELF], "script-src": [CSP.SELF, CSP.NONCE]})
