"""The upload form: one file, .xlsx or .csv (the content decides, see :mod:`.reading`)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from battkomp.workbooks.exporters import XLSX_CONTENT_TYPE


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File (.xlsx or .csv)"),
        help_text=_("An Excel workbook made from the template, or the sheet saved as CSV UTF-8."),
        widget=forms.ClearableFileInput(
            attrs={"accept": f".xlsx,.csv,text/csv,{XLSX_CONTENT_TYPE}"}
        ),
    )
