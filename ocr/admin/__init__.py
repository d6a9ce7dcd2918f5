"""Admin screens of the reading app: batches and files, documents, runs, thresholds."""

from ocr.admin import batches, documents

__all__ = ["batches", "documents"]
