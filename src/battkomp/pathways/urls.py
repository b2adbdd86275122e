from django.urls import path

from battkomp.pathways import views

app_name = "pathways"
urlpatterns = [
    path("", views.index, name="index"),
    path("<str:code>/", views.detail, name="detail"),
]
