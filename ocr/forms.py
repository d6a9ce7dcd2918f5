"""Forms of the staff screens."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.utils.translation import gettext_lazy as _

from forms_catalog.models import FormType
from ocr.permissions import departments_of, has_group_perm, processable_form_types


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

    def clean_scans(self) -> list:
        # One upload is one bounded piece of work: refused whole, before anything is stored.
        scans = self.cleaned_data["scans"]
        if len(scans) > settings.INGEST_MAX_FILES:
            raise forms.ValidationError(
                _("Upload at most %(max)s files at once; split the scans into several uploads."),
                code="too_many_files",
                params={"max": settings.INGEST_MAX_FILES},
            )
        return scans

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        form_type, department = cleaned.get("form_type"), cleaned.get("department")
        if form_type and department and not has_group_perm(department, "process", form_type):
            self.add_error("department", _("This department has no right on this form type."))
        return cleaned

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["form_type"]).queryset = processable_form_types(
            user
        )
        departments = departments_of(user)
        cast(forms.ModelChoiceField, self.fields["department"]).queryset = departments
        # A person in one department uploads for it: nothing to choose.
        if len(departments) == 1:
            self.fields["department"].initial = departments[0].pk
