"""Routes of scenarios and model runs (included by ``battkomp.analysis.urls``, namespace
``analysis``)."""

from django.urls import path

from battkomp.analysis.runs import views

urlpatterns = [
    path("", views.home, name="home"),
    path("bundle/", views.bundle_download, name="bundle_download"),
    path("scenarios/", views.scenarios, name="scenarios"),
    path("scenarios/new/", views.scenario_new, name="scenario_new"),
    path("scenarios/<int:scenario_id>/", views.scenario_edit, name="scenario_edit"),
    path("runs/", views.runs, name="runs"),
    path("runs/start/", views.run_start, name="run_start"),
    path("runs/compare/", views.run_compare, name="run_compare"),
    path("runs/<int:run_id>/", views.run_detail, name="run_detail"),
    path("runs/<int:run_id>/status.json", views.run_status, name="run_status"),
    path("runs/<int:run_id>/publish/", views.run_publish, name="run_publish"),
    path("runs/<int:run_id>/retry/", views.run_retry, name="run_retry"),
    path("runs/<int:run_id>/inputs.zip", views.run_inputs, name="run_inputs"),
]
