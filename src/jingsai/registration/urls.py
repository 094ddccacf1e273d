from django.urls import path

from . import views

app_name = "registration"
urlpatterns = [
    path("", views.index, name="index"),
    path("todo/", views.todo, name="todo"),
    path("entries/<int:pk>/", views.entry, name="entry"),
    path("entries/<int:pk>/<str:action>/", views.entry_action, name="entry_action"),
    path("c/<str:code>/", views.competition, name="competition"),
    path("c/<str:code>/register/", views.register, name="register"),
    path("c/<str:code>/import/", views.import_view, name="import"),
    path("c/<str:code>/template.xlsx", views.template, name="template"),
    path("c/<str:code>/export/", views.export, name="export"),
    path("c/<str:code>/bulk/", views.bulk, name="bulk"),
]
