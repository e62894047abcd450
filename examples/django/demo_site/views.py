from django.contrib.auth import get_user_model, login, logout
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache


@never_cache
def index(request):
    return render(request, "index.html")


@never_cache
async def async_index(request):
    """An async view (ASGI): the user loaded the async way, then the template rendered in
    the event loop; {% pylon_chat %} must not query the database there."""
    await request.auser()
    return render(request, "async.html")


@never_cache
async def async_lazy_index(request):
    """An async view that never loads the user: {% pylon_chat %} does (off the loop)."""
    return render(request, "async.html")


def chat_fields(request):
    """PYLON_IDV_FIELDS: extra chat settings for the user of this request."""
    if request.user.is_authenticated:
        return {"name": request.user.get_full_name()}
    return {}


# Demo only: log in as a demo user by following a link. A real site has its own login.
def demo_login(request, username):
    try:
        user = get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist:
        raise Http404("no such demo user")
    login(request, user)
    return redirect("/")


def demo_logout(request):
    logout(request)
    return redirect("/")
