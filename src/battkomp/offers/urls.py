from django.urls import path

from battkomp.offers import views

app_name = "offers"
urlpatterns = [
    path("", views.grid, name="grid"),
    path("grid/cell/", views.grid_cell, name="grid_cell"),
    path("mine/", views.mine, name="mine"),
    path("new/", views.new, name="new"),
    path("institution/<int:org_id>/", views.institution, name="institution"),
    path("institution/<int:org_id>/new/", views.institution_new, name="institution_new"),
    path("<int:offer_id>/", views.detail, name="detail"),
    path("<int:offer_id>/edit/", views.edit, name="edit"),
    path("<int:offer_id>/delete/", views.delete, name="delete"),
]
