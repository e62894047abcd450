"""The Django example under an ASGI server (tests/integration/test_frameworks.py):

    uvicorn --app-dir examples/django demo_site.asgi:application --host 127.0.0.1 --port 8000

(after `python examples/django/manage.py rundemo --setup-only`, which makes the demo users).
Django serves pylon-chat.js itself here (urls.py includes pylon_idv.django.urls): no static
server in front."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_site.settings")
application = get_asgi_application()
