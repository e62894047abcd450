"""``{% load pylon_idv %}`` then ``{% pylon_chat %}`` (before ``</body>``).

Renders the chat settings for ``request.user`` (a visitor who is not logged in gets the app id
and the fields only) and what loads the widget. Keyword arguments become extra settings,
over those of the PYLON_IDV_FIELDS hook: ``{% pylon_chat name=request.user.get_full_name %}``.
The CSP nonce is ``request.csp_nonce`` (django-csp) or the context's ``csp_nonce``, when
present. A broken configuration or a failing hook renders nothing and logs one ERROR line
(logger "pylon_idv"), never an error page: ``manage.py check`` is where it is loud.
"""

from django import template
from django.templatetags.static import static
from django.utils.safestring import mark_safe

from ... import _web
from .. import conf

register = template.Library()


def _email(request):
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    field = user.get_email_field_name() if hasattr(user, "get_email_field_name") else "email"
    return getattr(user, field, None) or None


def _nonce(context, request):
    nonce = getattr(request, "csp_nonce", None)
    if nonce is None:
        nonce = context.get("csp_nonce")
    return None if nonce is None else str(nonce)      # django-csp's nonce is a lazy object


@register.simple_tag(takes_context=True)
def pylon_chat(context, **fields):
    s = conf.state()
    if s.page is None:
        _web.log_once("django-config", "pylon_idv: {%% pylon_chat %%} renders nothing: %s "
                      "(run manage.py check)", "; ".join(str(p) for p in s.problems))
        return ""
    request = getattr(context, "request", None) or context.get("request")
    try:
        email = (s.email_hook or _email)(request)
        extra = dict(s.fields_hook(request) or {}) if s.fields_hook else {}
        extra.update(fields)
        page = s.page
        if page.mode == "data" and page.script_url is None:
            page = _web.Page(page.app_id, page.signer, page.mode,
                             static(conf.static_root()[1]))
        return mark_safe(page.render(email, nonce=_nonce(context, request), fields=extra))
    except Exception as e:
        _web.log_once(("django-render", type(e)), "pylon_idv: {%% pylon_chat %%} renders "
                      "nothing: %s: %s", type(e).__name__, e, exc_info=True)
        return ""
