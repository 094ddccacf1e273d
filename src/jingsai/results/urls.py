from django.urls import path

from . import views

app_name = "results"
urlpatterns = [
    path("", views.index, name="index"),
    path("mine/", views.mine, name="mine"),
    path("result/<int:pk>/", views.explanation, name="explanation"),
    path("objections/<int:pk>/answer/", views.answer, name="answer"),
    path("certificates/<int:pk>/pdf/", views.certificate_pdf, name="certificate_pdf"),
    path("certificates/<int:pk>/revoke/", views.certificate_revoke, name="revoke"),
    path("<str:code>/", views.competition, name="competition"),
    path("<str:code>/compute/", views.compute, name="compute"),
    path("<str:code>/publish/", views.publish, name="publish"),
    path("<str:code>/withdraw/", views.withdraw, name="withdraw"),
    path("<str:code>/finalize/", views.finalize, name="finalize"),
    path("<str:code>/export/", views.export, name="export"),
    path("<str:code>/lists/<str:kind>.xlsx", views.office_list, name="list"),
    path("<str:code>/marks/", views.marks, name="marks"),
    path("<str:code>/marks/template.xlsx", views.marks_template, name="marks_template"),
    path("<str:code>/certificates/", views.certificate_list, name="certificates"),
    path("<str:code>/certificates/preview.pdf", views.certificate_preview, name="preview"),
    path("<str:code>/stages/<str:key>/", views.stage, name="stage"),
    path("<str:code>/stages/<str:key>/changes/", views.changes, name="changes"),
    path("<str:code>/stages/<str:key>/organizations/", views.organizations, name="organizations"),
]
