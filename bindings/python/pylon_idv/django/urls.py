"""pylon-chat.js served by Django itself, for a site with no static-file server in front (an
ASGI or WSGI server alone: uvicorn, gunicorn):

    urlpatterns = [..., path("_pylon_idv/", include("pylon_idv.django.urls"))]

When this is included, ``{% pylon_chat %}`` loads the script from here (``reverse
("pylon_idv:script")``) instead of its static URL. The file is read once, at import; the
response is cacheable (public, a day) and typed ``text/javascript``.
"""

import os

from django.http import HttpResponse
from django.urls import path

import pylon_idv

app_name = "pylon_idv"

with open(os.path.join(pylon_idv.static_path(), "pylon-chat.js"), "rb") as _f:
    _SCRIPT = _f.read()


def script(request):
    response = HttpResponse(_SCRIPT, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns = [path("pylon-chat.js", script, name="script")]
