from django.urls import path

from battkomp.measures import views

app_name = "measures"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("manage/", views.manage, name="manage"),
    path("new/", views.new, name="new"),
    path("commit/", views.commit, name="commit"),
    path("<int:measure_id>/", views.detail, name="detail"),
    path("<int:measure_id>/edit/", views.edit, name="edit"),
    path("<int:measure_id>/status/", views.change_status, name="status"),
]
