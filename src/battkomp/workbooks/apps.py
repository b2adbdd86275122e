from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkbooksConfig(AppConfig):
    name = "battkomp.workbooks"
    label = "exchange"
    verbose_name = _("Excel and CSV exchange")
