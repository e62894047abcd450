"""Django 6's own Content-Security-Policy (SECURE_CSP, ContentSecurityPolicyMiddleware, the
nonce on the request) with {% pylon_chat %}: the nonce used with and without Django's csp
context processor, SECURE_CSP built by pylon_idv.csp.merge_secure_csp, and W003 naming the
directive a configured policy blocks. Runs in build/venv-django6 (Python >= 3.12)."""
import re

import django
from django.conf import settings

SECRET = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812"
TEMPLATE = "{% load pylon_idv %}<body>{% pylon_chat %}</body>"


def view(request):
    from django.http import HttpResponse
    from django.template import engines
    return HttpResponse(engines["django"].from_string(TEMPLATE).render({}, request))


urlpatterns = []


def setup_module():
    import os
    os.environ["PYLON_IDENTITY_SECRET"] = SECRET
    if not settings.configured:
        from django.utils.csp import CSP
        import pylon_idv.csp
        settings.configure(
            DEBUG=False, SECRET_KEY="x" * 50, ALLOWED_HOSTS=["*"], USE_TZ=True,
            ROOT_URLCONF=__name__,
            INSTALLED_APPS=["django.contrib.staticfiles", "pylon_idv.django"],
            MIDDLEWARE=["django.middleware.csp.ContentSecurityPolicyMiddleware"],
            SECURE_CSP=pylon_idv.csp.merge_secure_csp(
                {"default-src": [CSP.SELF], "script-src": [CSP.SELF, CSP.NONCE]}),
            STATIC_URL="/static/",
            TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates",
                        "OPTIONS": {"context_processors": []}}],
            PYLON_IDV_APP_ID="dj6-app", PYLON_IDV_MODE="inline")
        django.setup()
        from django.urls import path
        urlpatterns.append(path("", view))


def get():
    from django.test import Client
    r = Client().get("/")
    assert r.status_code == 200
    return r["Content-Security-Policy"], r.content.decode()


def test_django_is_6():
    assert django.VERSION[0] >= 6


def test_the_nonce_without_the_context_processor():
    policy, body = get()
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert body.count('<script nonce="%s">' % nonce) == 2, body
    assert "https://widget.usepylon.com/widget/dj6-app" in body


def test_the_nonce_with_the_context_processor():
    from django.test import override_settings
    with override_settings(TEMPLATES=[{
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {"context_processors": ["django.template.context_processors.csp"]}}]):
        policy, body = get()
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert body.count('<script nonce="%s">' % nonce) == 2


def test_secure_csp_built_by_the_helper_allows_the_widget():
    import pylon_idv.csp
    policy, _ = get()
    assert pylon_idv.csp.blocked(policy) == []
    for directive, sources in pylon_idv.csp_sources().items():
        got = pylon_idv.csp.parse(policy)[directive]
        assert all(s in got for s in sources), directive


def test_w003_names_the_directive_secure_csp_blocks():
    from django.core import checks
    from django.test import override_settings
    from django.utils.csp import CSP
    with override_settings(SECURE_CSP={"default-src": [CSP.SELF],
                                       "script-src": [CSP.SELF, CSP.NONCE]}):
        msgs = [m for m in checks.run_checks(tags=["pylon_idv"]) if m.id == "pylon_idv.W003"]
    assert sorted(m.msg.split(" in ", 1)[1].split(":", 1)[0] for m in msgs) == [
        "connect-src", "font-src", "img-src", "script-src", "style-src"]
