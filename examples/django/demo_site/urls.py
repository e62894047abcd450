from django.urls import path

from . import views

urlpatterns = [
    path("", views.index),
    path("login/<str:username>/", views.demo_login),
    path("logout/", views.demo_logout),
]
