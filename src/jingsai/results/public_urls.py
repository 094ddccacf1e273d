from django.urls import path

from . import public_views

app_name = "results_public"
urlpatterns = [
    path("verify/", public_views.verify_form, name="verify_form"),
    path("verify/<str:code>/", public_views.verify, name="verify"),
    path("results/<str:code>/", public_views.results, name="results"),
    path("results/<str:code>/objection/", public_views.objection, name="objection"),
    path("results/<str:code>/export/", public_views.export, name="export"),
]
