"""The demo's Content-Security-Policy: Pylon's documented policy in mode "data"; in mode
"inline", a per-request nonce (as django-csp gives: request.csp_nonce)."""
import secrets

from django.conf import settings


class ContentSecurityPolicy:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.PYLON_IDV_MODE == "inline":
            request.csp_nonce = secrets.token_urlsafe(16)
            policy = f"script-src 'nonce-{request.csp_nonce}' https://widget.usepylon.com"
        else:
            policy = "script-src 'self' https://widget.usepylon.com"
        response = self.get_response(request)
        response["Content-Security-Policy"] = policy
        return response
