from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OcrConfig(AppConfig):
    name = "ocr"
    verbose_name = _("Reading and verification")

    def ready(self) -> None:
        import cv2
        from django.conf import settings

        from audit.lookup import register_finder
        from ocr import home, officer_lookup, retention_report
        from yomitoru.admin_site import register_home_panel

        for panel in (
            home.clerk_work,
            home.manager_statistics,
            home.quality_of_auto_accepted,
            home.administrator_setup,
        ):
            register_home_panel(panel)
        # What audit's pages need of the documents, handed down: audit imports nothing of ocr.
        register_finder(officer_lookup.documents_holding)
        retention_report.register()

        # Once per process: reading scales with worker processes, not OpenCV threads.
        cv2.setNumThreads(settings.OCR_OPENCV_THREADS)
