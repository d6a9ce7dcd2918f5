from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OcrConfig(AppConfig):
    name = "ocr"
    verbose_name = _("Reading and verification")

    def ready(self) -> None:
        import cv2
        from django.conf import settings

        from ocr import home
        from yomitoru.admin_site import register_home_panel

        for panel in (home.clerk_work, home.manager_statistics, home.administrator_setup):
            register_home_panel(panel)

        # Once per process: reading scales with worker processes, not OpenCV threads.
        cv2.setNumThreads(settings.OCR_OPENCV_THREADS)
