from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OcrConfig(AppConfig):
    name = "ocr"
    verbose_name = _("Reading and verification")

    def ready(self) -> None:
        import cv2
        from django.conf import settings

        from audit.lookup import register_finder
        from forms_catalog.definitions import form_type_versioned
        from ocr import home, officer_lookup, retention_report
        from ocr.admin import metrics as metrics_admin
        from ocr.exports.mapping import copy_to_new_version
        from yomitoru.admin_site import register_home_panel, register_site_urls

        for panel in (
            home.clerk_work,
            home.workload_dashboard,
            home.manager_statistics,
            home.quality_of_auto_accepted,
            home.administrator_setup,
        ):
            register_home_panel(panel)
        # The manager's dashboard is a page of the site, not of a model.
        register_site_urls(metrics_admin.urls)
        # A form type's new version starts with its export mapping.
        form_type_versioned.connect(copy_to_new_version, dispatch_uid="ocr.export_mapping")
        # What audit's pages need of the documents, handed down: audit imports nothing of ocr.
        register_finder(officer_lookup.documents_holding)
        retention_report.register()

        # Once per process: reading scales with worker processes, not OpenCV threads.
        cv2.setNumThreads(settings.OCR_OPENCV_THREADS)
