from django.apps import AppConfig


class ContactConfig(AppConfig):
    name = "battkomp.contact"
    label = "inquiries"
    default_auto_field = "django.db.models.BigAutoField"
