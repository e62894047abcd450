from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.index),
    path("async/", views.async_index),
    path("async-lazy/", views.async_lazy_index),
    path("_pylon_idv/", include("pylon_idv.django.urls")),     # pylon-chat.js, no static server needed
    path("login/<str:username>/", views.demo_login),
    path("logout/", views.demo_logout),
]
