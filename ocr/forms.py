"""Forms of the staff screens."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.models import Group, User
from django.utils.translation import gettext_lazy as _

from forms_catalog.models import FormType
from ocr.permissions import processable_form_types


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list:
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in files if item]


class UploadForm(forms.Form):
    form_type = forms.ModelChoiceField(queryset=FormType.objects.none(), label=_("form type"))
    department = forms.ModelChoiceField(queryset=Group.objects.none(), label=_("department"))
    scans = MultipleFileField(
        label=_("scans"), help_text=_("PNG, JPEG, TIFF or PDF; several files at once.")
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["form_type"]).queryset = processable_form_types(
            user
        )
        departments = user.groups.all()
        cast(forms.ModelChoiceField, self.fields["department"]).queryset = departments
        # A person in one department uploads for it: nothing to choose.
        if len(departments) == 1:
            self.fields["department"].initial = departments[0].pk
