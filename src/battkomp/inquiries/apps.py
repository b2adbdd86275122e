from django.apps import AppConfig


class InquiriesConfig(AppConfig):
    name = "battkomp.inquiries"
    label = "inquiries"
    default_auto_field = "django.db.models.BigAutoField"
