"""The public pages of published model runs, at /published/ (no login)."""

from django.urls import path

from battkomp.analysis import dashboard, public_views

app_name = "published"
urlpatterns = [
    path("", public_views.publications, name="list"),
    path("compare/", public_views.compare, name="compare"),
    path("<int:version>/", public_views.detail, name="detail"),
    path("<int:version>/report/", public_views.report, name="report"),
    path("<int:version>/dashboard/", dashboard.dashboard, name="dashboard"),
    path("<int:version>/<slug:name>.<str:fmt>", public_views.download, name="download"),
]
