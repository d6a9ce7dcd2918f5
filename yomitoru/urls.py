from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from yomitoru.security import twofactor_views

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("account/two-factor/", twofactor_views.verify, name="two_factor_verify"),
    path("account/two-factor/enrol/", twofactor_views.enrol, name="two_factor_enrol"),
    path("admin/", admin.site.urls),
]
