from django.urls import path

from . import views

app_name = "public"
urlpatterns = [
    path("", views.home, name="home"),
    path("competitions/", views.competition_list, name="competitions"),
    path("competitions/<str:code>/", views.competition_detail, name="competition"),
]
