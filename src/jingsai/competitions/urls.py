from django.urls import path

from . import views

app_name = "competitions"
urlpatterns = [
    path("", views.competition_list, name="list"),
    path("new/", views.create, name="create"),
    path("upload/", views.upload, name="upload"),
    path("rules/preview/", views.preview, name="preview"),
    path("rules/row/<slug:section>/", views.row, name="row"),
    path("series/", views.series_list, name="series_list"),
    path("series/<int:pk>/", views.series_detail, name="series_detail"),
    path("series/<int:pk>/edit/", views.series_edit, name="series_edit"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/rules/", views.rules, name="rules"),
    path("<int:pk>/spec.yaml", views.spec_yaml, name="spec_yaml"),
    path("<int:pk>/status/", views.transition, name="transition"),
]
