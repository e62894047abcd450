"""The one Django configuration the integration tests share (settings.configure runs once per
process, so every test file must ask for the same settings)."""


def django_setup():
    import django
    from django.conf import settings
    if not settings.configured:
        settings.configure(
            DEBUG=False, SECRET_KEY="x" * 50, ALLOWED_HOSTS=["*"], USE_TZ=True,
            INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes",
                            "django.contrib.staticfiles", "pylon_idv.django"],
            STATIC_URL="/static/",
            TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates",
                        "APP_DIRS": True, "OPTIONS": {}}],
            PYLON_IDV_APP_ID="dj-app")
        django.setup()
