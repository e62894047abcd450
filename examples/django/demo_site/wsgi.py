"""The Django example under a WSGI server (tests/integration/test_frameworks.py):

    gunicorn --chdir examples/django demo_site.wsgi:application --bind 127.0.0.1:8000

(after `python examples/django/manage.py rundemo --setup-only`)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_site.settings")
application = get_wsgi_application()
