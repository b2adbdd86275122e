"""Routes of the analysts' run dashboard and the stakeholder views (included by
``battkomp.analysis.urls``, namespace ``analysis``); the public dashboard is served under
/published/ (``battkomp.analysis.publishing.urls``)."""

from django.urls import path

from battkomp.analysis.dashboards import analyst, stakeholders

urlpatterns = [
    path("runs/<int:run_id>/dashboard/", analyst.run_dashboard, name="run_dashboard"),
    path("institution/", stakeholders.institution_view, name="institution_view"),
    path("company/", stakeholders.company_view, name="company_view"),
]
