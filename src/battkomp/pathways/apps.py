from django.apps import AppConfig


class PathwaysConfig(AppConfig):
    name = "battkomp.pathways"
    label = "pathways"
    default_auto_field = "django.db.models.BigAutoField"
