from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "battkomp.organisations"
    label = "actors"
    default_auto_field = "django.db.models.BigAutoField"
