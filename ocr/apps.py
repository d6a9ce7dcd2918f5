from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OcrConfig(AppConfig):
    name = "ocr"
    verbose_name = _("Reading and verification")

    def ready(self) -> None:
        import cv2
        from django.conf import settings

        # Once per process: reading scales with worker processes, not OpenCV threads.
        cv2.setNumThreads(settings.OCR_OPENCV_THREADS)
