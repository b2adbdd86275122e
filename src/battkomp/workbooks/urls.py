"""Excel and CSV round-trip routes, under /workbooks/ (and /en/workbooks/)."""

from django.urls import path

from battkomp.workbooks import views

app_name = "workbooks"
urlpatterns = [
    # needs of one participant (its respondents and analysts)
    path("needs/<int:participant_id>/template/", views.needs_template, name="needs_template"),
    path("needs/<int:participant_id>/upload/", views.needs_upload, name="needs_upload"),
    path("needs/<int:participant_id>/export/", views.needs_export, name="needs_export"),
    # offers: an editor's own institution, or any institution for analysts
    path("offers/template/", views.offers_template, name="offers_template"),
    path("offers/<int:institution_id>/template/", views.offers_template, name="offers_template"),
    path("offers/upload/", views.offers_upload, name="offers_upload"),
    path("offers/<int:institution_id>/upload/", views.offers_upload, name="offers_upload"),
    # offers are public: all of them, or one institution's
    path("offers/export/", views.offers_export, name="offers_export"),
    path("offers/<int:institution_id>/export/", views.offers_export, name="offers_export"),
    # analysts: every submitted answer of a round
    path("rounds/<int:round_id>/export/", views.round_export, name="round_export"),
]
