"""Routes under /infrastructure/ (and /en/infrastructure/): the infrastructure register."""

from django.urls import path

from battkomp.measures.infrastructure import views

app_name = "infrastructure"
urlpatterns = [
    path("", views.infrastructure_list, name="list"),
    path("new/", views.infrastructure_new, name="new"),
    path("<int:item_id>/", views.infrastructure_detail, name="detail"),
    path("<int:item_id>/edit/", views.infrastructure_edit, name="edit"),
    path("<int:item_id>/approve/", views.infrastructure_approve, name="approve"),
    path("<int:item_id>/delete/", views.infrastructure_delete, name="delete"),
]
