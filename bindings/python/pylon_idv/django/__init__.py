"""Django app: ``{% load pylon_idv %}`` and ``{% pylon_chat %}`` in your base template.

    INSTALLED_APPS = [..., "django.contrib.staticfiles", "pylon_idv.django"]
    PYLON_IDV_APP_ID = "your-app-id"          # the secret stays in the environment:
                                              # PYLON_IDENTITY_SECRET (see PYLON_IDV_SECRET_ENV)

``{% pylon_chat %}`` renders the chat settings for ``request.user`` (a visitor when not logged
in) and the loader; ``manage.py check`` reports every configuration problem as
``pylon_idv.E001`` ... with its fix. Settings (all optional but the app id):

    PYLON_IDV_APP_ID                  your Pylon app id
    PYLON_IDV_SECRET_ENV              name of the environment variable holding the identity
                                      secret (default "PYLON_IDENTITY_SECRET")
    PYLON_IDV_PREVIOUS_SECRETS_ENV    name of the variable holding previous secrets, separated
                                      by commas (default "PYLON_IDENTITY_SECRET_PREVIOUS"; the
                                      rule is in pylon_idv._web: a space inside one is E003)
    PYLON_IDV_MODE                    "data" (default): a JSON data element and pylon-chat.js
                                      served as a static file of this app, no inline script;
                                      "inline": inline settings and loader with request.csp_nonce
    PYLON_IDV_SCRIPT_URL              where pylon-chat.js is served (default: its static URL)
    PYLON_IDV_FIELDS                  callable(request) -> dict of extra settings (name,
                                      avatar_url, ...), or its dotted path
    PYLON_IDV_EMAIL                   callable(request) -> email or None, or its dotted path
                                      (default: the email field of an authenticated request.user)
    PYLON_IDV_ENABLED                 False turns the app off: no checks, the tag renders
                                      nothing (default True)

Nothing is read at import time: the secret is read and decoded once, at the first check or
page, into a cached Signer (and again when a test changes a PYLON_IDV_* setting).
"""
