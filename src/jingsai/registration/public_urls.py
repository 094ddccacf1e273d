from django.urls import path

from . import views

app_name = "registration_public"
urlpatterns = [
    path("competitions/<str:code>/register/", views.register_self, name="register"),
]
