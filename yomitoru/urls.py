from django.contrib import admin
from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from yomitoru.security import twofactor_views


class FaviconView(RedirectView):
    """Browsers ask for /favicon.ico by themselves; the icon is one of our static files.

    Not permanent, and resolved per request, so a renamed or hashed static file is followed.
    """

    permanent = False

    def get_redirect_url(self, *args: object, **kwargs: object) -> str:
        return static("yomitoru/favicon.svg")


urlpatterns = [
    path("favicon.ico", FaviconView.as_view()),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("account/two-factor/", twofactor_views.verify, name="two_factor_verify"),
    path("account/two-factor/enrol/", twofactor_views.enrol, name="two_factor_enrol"),
    path("admin/", admin.site.urls),
]
