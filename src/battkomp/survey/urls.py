"""Survey routes, under /survey/ (and /en/survey/)."""

from django.urls import path

from battkomp.survey import views

app_name = "survey"
urlpatterns = [
    # analysts
    path("rounds/", views.rounds, name="rounds"),
    path("rounds/new/", views.round_new, name="round_new"),
    path("rounds/<int:round_id>/", views.round_detail, name="round_detail"),
    path("rounds/<int:round_id>/statistics/", views.round_stats, name="round_stats"),
    path("rounds/<int:round_id>/invite/", views.round_invite, name="round_invite"),
    path("rounds/<int:round_id>/open/", views.round_open, name="round_open"),
    path("rounds/<int:round_id>/close/", views.round_close, name="round_close"),
    path(
        "organisations/<int:organisation_id>/notes/",
        views.organisation_notes,
        name="organisation_notes",
    ),
    path("organisations/<int:organisation_id>/notes/new/", views.note_new, name="note_new"),
    # respondents (analysts read answers here too; their reads are logged)
    path("", views.my_rounds, name="my_rounds"),
    path("answers/<int:participant_id>/", views.response, name="response"),
]
