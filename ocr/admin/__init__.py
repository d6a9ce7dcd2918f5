"""Admin screens of the reading app: batches and files, documents, the verification queue,
runs, thresholds."""

from ocr.admin import batches, documents, review

__all__ = ["batches", "documents", "review"]
