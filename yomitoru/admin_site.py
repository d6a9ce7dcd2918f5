"""The one admin site: staff work happens here, in Japanese.

Its home page shows each person what is theirs to do or to see, as *panels*: the apps above
this package register a function that returns a panel for a user, or None
(``register_home_panel``), so this module imports none of them. Pages of their own that
belong to no model (the manager's dashboard) come the same way (``register_site_urls``).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _


@dataclass
class HomePanel:
    """One block of the home page: a title, an optional table, and links."""

    key: str
    title: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    # (key, label, url): the key names the link's element (``home-<panel>-<key>``).
    links: list[tuple[str, str, str]] = field(default_factory=list)
    empty: str = ""
    order: int = 100


PanelFunction = Callable[[HttpRequest], HomePanel | None]
_home_panels: list[PanelFunction] = []


def register_home_panel(function: PanelFunction) -> PanelFunction:
    if function not in _home_panels:
        _home_panels.append(function)
    return function


# A function that returns URL patterns of the site (each view wrapped with ``site.admin_view``).
UrlsFunction = Callable[["YomitoruAdminSite"], list]
_site_urls: list[UrlsFunction] = []


def register_site_urls(function: UrlsFunction) -> UrlsFunction:
    """Add pages to the site; called from an app's ``ready``, before the URLconf is read."""
    if function not in _site_urls:
        _site_urls.append(function)
    return function


# Apps and models of third-party packages whose names no catalogue translates (their labels
# are plain strings, or derived from the app label): named here for the index and sidebar.
APP_NAMES = {
    "axes": _("Login lockout"),
    "otp_totp": _("Two-factor authentication"),
}
MODEL_NAMES = {
    ("otp_totp", "TOTPDevice"): _("Authenticator apps (TOTP)"),
    ("guardian", "GroupObjectPermission"): _("Rights of a department on a form type"),
    ("guardian", "UserObjectPermission"): _("Rights of a user on a form type"),
}


def model_name(model: Any) -> str:
    """A model's name as staff read it: our name for a third-party model, else its own."""
    if model is None:
        return ""
    name = MODEL_NAMES.get((model._meta.app_label, model.__name__), model._meta.verbose_name)
    return str(capfirst(name))


class YomitoruAdminSite(admin.AdminSite):
    site_header = _("yomitoru AI-OCR")
    site_title = _("yomitoru")
    index_title = _("Home")
    enable_nav_sidebar = True
    # There is no public site: "view site" would only lead back here.
    site_url = None

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list:
        apps = super().get_app_list(request, app_label)
        for app in apps:
            app["name"] = APP_NAMES.get(app["app_label"], app["name"])
            for model in app["models"]:
                key = (app["app_label"], model["object_name"])
                model["name"] = MODEL_NAMES.get(key, model["name"])
        return apps

    def get_urls(self) -> list:
        # Before the admin's own: its last pattern catches every other path.
        return [url for function in _site_urls for url in function(self)] + super().get_urls()

    def index(self, request: HttpRequest, extra_context: Any = None) -> TemplateResponse:
        panels = [panel for function in _home_panels if (panel := function(request))]
        panels.sort(key=lambda panel: panel.order)
        return super().index(request, {**(extra_context or {}), "home_panels": panels})


def display_name(user: Any) -> str:
    """How a person is named on screens: their full name, the user name only without one."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def person(username: str, name: str) -> str:
    """A person on the officer's screens: "full name (user name)", or the user name alone."""
    name = name or username
    return f"{name} ({username})" if name != username else username


def person_label(user: Any) -> str:
    return person(user.get_username(), display_name(user))


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """For rows that machines or the audit trail write: nobody adds, changes or deletes them
    through the admin, superusers included."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
