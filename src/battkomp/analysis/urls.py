"""The analysts' pages under /analysis/: each room serves its own routes (one namespace)."""

from django.urls import include, path

from battkomp.analysis.publishing import views as publishing_views

app_name = "analysis"
urlpatterns = [
    path("", include("battkomp.analysis.runs.urls")),
    path("", include("battkomp.analysis.dashboards.urls")),
    path("published/", publishing_views.publications, name="publications"),
]
