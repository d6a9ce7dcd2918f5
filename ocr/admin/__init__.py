"""Admin screens of the reading app: batches and files, documents, the verification queue,
runs, thresholds, exports."""

from ocr.admin import batches, documents, exports, review

__all__ = ["batches", "documents", "exports", "review"]
