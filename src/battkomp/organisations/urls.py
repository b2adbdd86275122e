"""Routes under /organisations/ (and /en/organisations/)."""

from django.urls import path

from battkomp.organisations import views

app_name = "organisations"
urlpatterns = [
    path("", views.organisations, name="organisations"),
    path("new/", views.organisation_new, name="organisation_new"),
    path("<int:pk>/", views.organisation_detail, name="organisation_detail"),
    path("<int:pk>/edit/", views.organisation_edit, name="organisation_edit"),
    path("<int:pk>/facilities/new/", views.facility_new, name="facility_new"),
    path("facilities/<int:pk>/", views.facility_detail, name="facility_detail"),
    path("facilities/<int:pk>/edit/", views.facility_edit, name="facility_edit"),
    path("facilities/<int:pk>/plan/", views.facility_plan_edit, name="facility_plan_edit"),
    path("facilities/<int:pk>/status/", views.facility_status_add, name="facility_status_add"),
]
