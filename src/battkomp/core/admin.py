"""What every back-office (Django admin) page of the project shares: tabular inlines whose fields
are labelled for assistive technology.

Django's tabular inline shows each field's label once, as the table's column header, and renders
the fields of every row without a ``<label>`` (axe ``label``: form elements must have labels).
:class:`TabularInline` names each field of a row by its column and row ("Area, row 2"; the row
added by "Add another" is "new"), the delete box included. The rest of the admin's accessibility
fixes are in templates/admin (the inline's table, the theme toggle) and static/battkomp/admin.css.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext


class LabelledInlineFormSet(BaseInlineFormSet):
    """An inline formset whose fields carry an ``aria-label`` of their column and row."""

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        row = gettext("new") if index is None else str(index + 1)
        for field in form.fields.values():
            if field.widget.is_hidden:
                continue
            # a related field's widget is wrapped by the admin (its "add" and "change" links);
            # the wrapper's attrs are shared with the form class, so a fresh dict is set on
            # the widget inside
            widget = getattr(field.widget, "widget", field.widget)
            name = gettext("%(field)s, row %(row)s") % {"field": field.label or "", "row": row}
            widget.attrs = {**widget.attrs, "aria-label": name}


class TabularInline(admin.TabularInline):
    """Django's tabular inline, its fields labelled (see the module)."""

    formset: Any = LabelledInlineFormSet
