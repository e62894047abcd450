"""Django settings and a fields hook using pylon_idv, for mypy --strict (Django itself is
untyped here: see mypy.ini)."""
from typing import Any, Mapping

import pylon_idv.csp

INSTALLED_APPS = ["django.contrib.staticfiles", "pylon_idv.django"]
PYLON_IDV_APP_ID = "typed-app"
PYLON_IDV_ENABLED = True
SECURE_CSP = pylon_idv.csp.merge_secure_csp({"default-src": ["'self'"]})
CONTENT_SECURITY_POLICY = pylon_idv.csp.merge_django_csp(
    {"DIRECTIVES": {"default-src": ["'self'"]}})
left: list[tuple[str, str, str]] = pylon_idv.csp.blocked(SECURE_CSP)


def chat_fields(request: Any) -> Mapping[str, str]:
    return {"name": "Ann"}


PYLON_IDV_FIELDS = chat_fields
