from __future__ import annotations

import io
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from guardian.admin import AdminGroupObjectPermissionsForm, ReinforcedGuardedModelAdminMixin
from guardian.shortcuts import get_perms_for_model
from PIL import Image

from forms_catalog.catalog import new_version
from forms_catalog.models import FieldDefinition, FormPage, FormType, KeyingRate
from forms_catalog.render import draw_field_overlay

# The rights a department group holds on a form type; the model's add/change/delete/view
# permissions mean nothing per object and are not offered on the grant pages.
DEPARTMENT_RIGHTS = (
    "process",
    "view_mynumber",
    "export",
    "view_statistics",
    "supervise",
    "metrics",
)


def department_rights(form_type: models.Model) -> list[Any]:
    return [p for p in get_perms_for_model(form_type) if p.codename in DEPARTMENT_RIGHTS]


class DepartmentRightsForm(AdminGroupObjectPermissionsForm):
    """The grant form of one group on one form type: the department rights, in Japanese."""

    def get_obj_perms_field_choices(self) -> list:
        # Permission names are stored in English; their msgids are the models' own.
        return [(p.codename, _(p.name)) for p in department_rights(self.obj)]


def _form_type_id(object_pk: str) -> str:
    if not object_pk.isascii() or not object_pk.isdigit() or len(object_pk) > 18:
        raise Http404
    return object_pk


def may_grant(request: HttpRequest) -> bool:
    """What guardian's reinforced views ask before they show or change a department's rights."""
    return all(
        request.user.has_perm(f"guardian.{perm}")
        for perm in ("view_groupobjectpermission", "change_groupobjectpermission")
    )


class DepartmentChoiceForm(forms.Form):
    """Which department to grant rights to: picked from the list, not typed."""

    group = forms.ModelChoiceField(
        queryset=Group.objects.order_by("name"), label=_("department"), empty_label=None
    )


class FieldDefinitionInline(admin.TabularInline):
    model = FieldDefinition
    extra = 0
    fields = (
        *("order", "key", "label", "kind", "page", "x", "y", "w", "h", "cells"),
        *("required", "sensitive", "export_column", "postal_code_field"),
    )


class FormPageInline(admin.TabularInline):
    model = FormPage
    extra = 0


@admin.register(FormType)
class FormTypeAdmin(ReinforcedGuardedModelAdminMixin, admin.ModelAdmin):
    """Form types, and the grants of department rights on them.

    The "object permissions" pages are reachable only by those who may grant (guardian's own
    view/change permissions on group object permissions, i.e. the setup administrators):
    being allowed to edit a form type does not let anyone give themselves rights on it.
    """

    list_display = ("name", "code", "version", "department", "is_current", "field_count")
    # guardian declares change_form_template as an instance attribute, Django as a class one.
    change_form_template = "admin/forms_catalog/formtype/change_form.html"  # type: ignore[misc]
    obj_perms_manage_template = "admin/forms_catalog/formtype/rights.html"
    obj_perms_manage_group_template = "admin/forms_catalog/formtype/rights_group.html"
    list_filter = ("is_current", "department")
    search_fields = ("code", "name")
    inlines = (FieldDefinitionInline, FormPageInline)
    actions = ("make_new_version",)
    readonly_fields = ("blank_with_fields", "created_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[FormType]:
        return super().get_queryset(request).select_related("department")

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        context = {**(extra_context or {}), "can_grant": may_grant(request)}
        return super().change_view(request, object_id, form_url, context)

    # guardian's rights pages look the form type up with the raw id from the URL: an id that is
    # not a number is "not found" here, not a server error.
    def obj_perms_manage_view(self, request: HttpRequest, object_pk: str) -> HttpResponse:
        return super().obj_perms_manage_view(request, _form_type_id(object_pk))

    def obj_perms_manage_user_view(
        self, request: HttpRequest, object_pk: str, user_id: str
    ) -> HttpResponse:
        return super().obj_perms_manage_user_view(request, _form_type_id(object_pk), user_id)

    def obj_perms_manage_group_view(
        self, request: HttpRequest, object_pk: str, group_id: str
    ) -> HttpResponse:
        return super().obj_perms_manage_group_view(request, _form_type_id(object_pk), group_id)

    def get_obj_perms_base_context(self, request: HttpRequest, obj: FormType) -> dict:
        context = super().get_obj_perms_base_context(request, obj)
        context["model_perms"] = department_rights(obj)
        return context

    def get_obj_perms_group_select_form(self, request: HttpRequest) -> type[forms.Form]:
        return DepartmentChoiceForm

    def get_obj_perms_manage_group_form(self, request: HttpRequest) -> type:
        return DepartmentRightsForm

    @admin.display(description=_("fields"))
    def field_count(self, obj: FormType) -> int:
        return obj.fields.count()

    @admin.display(description=_("blank form with field regions"))
    def blank_with_fields(self, obj: FormType) -> str:
        if obj.pk is None:
            return "-"
        urls = [
            (reverse("admin:forms_catalog_formtype_overlay", args=[obj.pk, page.number]),)
            for page in obj.pages.all()
        ]
        return format_html_join(
            "",
            '<a href="{0}" target="_blank"><img src="{0}" style="max-width:600px;'
            'border:1px solid #ccc;margin:4px" alt=""></a>',
            urls,
        ) or str(_("No reference image."))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A version that documents were read with is frozen: edit a new version instead.
        if obj is not None and obj.documents.exists():
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.documents.exists():
            return False
        return super().has_delete_permission(request, obj)

    # Only those who may add form types (the catalog's administrators) are offered the action;
    # Django refuses it to anyone else even when posted by hand.
    @admin.action(description=_("Create a new editable version"), permissions=["add"])
    def make_new_version(self, request: HttpRequest, queryset: QuerySet[FormType]) -> None:
        for form_type in queryset:
            created = new_version(form_type)
            self.message_user(
                request,
                _("Created %(code)s version %(version)s.")
                % {"code": created.code, "version": created.version},
                messages.SUCCESS,
            )

    def get_urls(self) -> list:
        urls = [
            path(
                "<int:pk>/overlay/<int:page>.png",
                self.admin_site.admin_view(self.overlay_view),
                name="forms_catalog_formtype_overlay",
            )
        ]
        return urls + super().get_urls()

    def overlay_view(self, request: HttpRequest, pk: int, page: int) -> HttpResponse:
        form_type = get_object_or_404(FormType, pk=pk)
        if not self.has_view_permission(request, form_type):
            return HttpResponse(status=403)
        form_page = get_object_or_404(FormPage, form_type=form_type, number=page)
        with form_page.reference_image.open("rb") as handle:
            image = Image.open(handle).convert("RGB")
        fields = [f.as_export_dict() for f in form_type.fields.filter(page=page)]
        overlay = draw_field_overlay(image, fields)
        overlay.thumbnail((1240, 1754))
        buffer = io.BytesIO()
        overlay.save(buffer, format="PNG")
        return HttpResponse(buffer.getvalue(), content_type="image/png")


@admin.register(KeyingRate)
class KeyingRateAdmin(admin.ModelAdmin):
    """The manual keying baseline of the workload dashboard, per field kind (see the model)."""

    list_display = ("kind", "seconds_per_character", "seconds_per_field")
    list_editable = ("seconds_per_character", "seconds_per_field")
    ordering = ("kind",)
