"""The demo's Content-Security-Policy: Pylon's documented policy in mode "data"; in mode
"inline", a per-request nonce (as django-csp gives: request.csp_nonce). Sync and async
(MiddlewareMixin), so async views run in the event loop under ASGI."""
import secrets

from django.conf import settings
from django.utils.deprecation import MiddlewareMixin


class ContentSecurityPolicy(MiddlewareMixin):
    def process_request(self, request):
        if settings.PYLON_IDV_MODE == "inline":
            request.csp_nonce = secrets.token_urlsafe(16)

    def process_response(self, request, response):
        nonce = getattr(request, "csp_nonce", None)
        if nonce is not None:
            policy = f"script-src 'nonce-{nonce}' https://widget.usepylon.com"
        else:
            policy = "script-src 'self' https://widget.usepylon.com"
        response["Content-Security-Policy"] = policy
        return response
