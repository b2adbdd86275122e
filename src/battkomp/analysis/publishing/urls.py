"""The public pages of published model runs, at /published/ (no login)."""

from django.urls import path

from battkomp.analysis.dashboards import public as dashboard
from battkomp.analysis.publishing import views

app_name = "published"
urlpatterns = [
    path("", views.publications, name="list"),
    path("compare/", views.compare, name="compare"),
    path("<int:version>/", views.detail, name="detail"),
    path("<int:version>/report/", views.report, name="report"),
    path("<int:version>/dashboard/", dashboard.dashboard, name="dashboard"),
    path("<int:version>/<slug:name>.<str:fmt>", views.download, name="download"),
]
