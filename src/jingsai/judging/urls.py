from django.urls import path

from .views import appeals, judges, marking, overview, schemes, venue

app_name = "judging"
urlpatterns = [
    path("", overview.home, name="home"),
    path("pool/", judges.pool, name="pool"),
    path("pool/new/", judges.pool_edit, name="pool_create"),
    path("pool/<int:pk>/", judges.pool_edit, name="pool_edit"),
    path("declare/", judges.declare, name="declare"),
    path("appeals/", appeals.appeal_list, name="appeals"),
    path("appeals/new/<int:entry_pk>/", appeals.appeal_new, name="appeal_new"),
    path("appeals/<int:pk>/", appeals.appeal, name="appeal"),
    # A competition's judging
    path("c/<int:pk>/", overview.competition, name="competition"),
    path("c/<int:pk>/scheme/", schemes.scheme, name="scheme"),
    path("c/<int:pk>/scheme/criterion/", schemes.criterion_save, name="criterion_save"),
    path("c/<int:pk>/scheme/aspect/", schemes.aspect_edit, name="aspect_edit"),
    path("c/<int:pk>/scheme/action/", schemes.scheme_action, name="scheme_action"),
    path("c/<int:pk>/scheme/import/", schemes.scheme_import, name="scheme_import"),
    path("c/<int:pk>/scheme/export.xlsx", schemes.scheme_export, name="scheme_export"),
    path("c/<int:pk>/judges/", judges.competition_judges, name="judges"),
    path("c/<int:pk>/judges/import/", judges.judges_import, name="judges_import"),
    path("c/<int:pk>/judges/template.xlsx", judges.judges_template, name="judges_template"),
    path("c/<int:pk>/judges/<int:judge_pk>/", judges.judge_detail, name="judge"),
    # A stage: the venue, marking, review, unblinding
    path("s/<int:pk>/", overview.stage, name="stage"),
    path("s/<int:pk>/panels/", judges.panels, name="panels"),
    path("s/<int:pk>/checkin/", venue.checkin, name="checkin"),
    path("s/<int:pk>/checkin/<int:contestant_pk>/", venue.checkin_action, name="checkin_action"),
    path("s/<int:pk>/draw/", venue.draw, name="draw"),
    path("s/<int:pk>/draw/<str:kind>.pdf", venue.draw_pdf, name="draw_pdf"),
    path("s/<int:pk>/draw.xlsx", venue.draw_xlsx, name="draw_xlsx"),
    path("s/<int:pk>/end/", venue.end_stage, name="end_stage"),
    path("s/<int:pk>/sheets.pdf", schemes.sheets_pdf, name="sheets_pdf"),
    path("s/<int:pk>/mark/", marking.stations, name="stations"),
    path("s/<int:pk>/mark/<int:number>/", marking.station, name="station"),
    path("s/<int:pk>/review/", marking.review, name="review"),
    path("s/<int:pk>/review/<int:number>/", marking.review_station, name="review_station"),
    path("s/<int:pk>/review/<int:number>/action/", marking.review_action, name="review_action"),
    path("s/<int:pk>/history/<int:number>/", marking.history, name="history"),
    path("s/<int:pk>/history.xlsx", marking.history_xlsx, name="history_xlsx"),
    path("s/<int:pk>/paper/", marking.paper, name="paper"),
    path("s/<int:pk>/import/", marking.import_marks, name="import_marks"),
    path("s/<int:pk>/import/template.xlsx", marking.import_template, name="import_template"),
    path("s/<int:pk>/unblinding/", marking.unblinding, name="unblinding"),
    path("s/<int:pk>/stats/", marking.judge_stats, name="stats"),
]
