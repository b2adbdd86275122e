from django.urls import path

from battkomp.analysis import views

app_name = "analysis"
urlpatterns = [
    path("", views.home, name="home"),
    path("bundle/", views.bundle_download, name="bundle_download"),
]
