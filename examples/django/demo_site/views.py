from django.contrib.auth import get_user_model, login, logout
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache


@never_cache
def index(request):
    return render(request, "index.html")


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
