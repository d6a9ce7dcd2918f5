"""Exporting a document through the export screens, as people do (the Django test client)."""

from __future__ import annotations

import re

from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from ocr.models import Document, ExportJob
from ocr.tasks import build_export_task, mark_exported_task

DOWNLOAD_LINK = re.compile(r'id="export-download" href="([^"]+)"')


def request_through_screen(client: Client, document: Document, encoding: str = "utf-8-sig"):
    """POST the request form for the document's batch; the response after the redirect."""
    return client.post(
        reverse("admin:ocr_exportjob_add"),
        {"form_type": document.form_type_id, "batch": document.batch_id, "encoding": encoding},
        follow=True,
    )


def export_through_screens(requester: Client, approver: Client, document: Document) -> HttpResponse:
    """Request, approve (a second person), build and mark (as the worker does), download."""
    request_through_screen(requester, document)
    job = ExportJob.objects.filter(batch=document.batch).latest("requested_at")
    if job.status == ExportJob.Status.AWAITING_APPROVAL:
        approver.post(reverse("admin:ocr_exportjob_approve", args=[job.pk]))
    build_export_task(job.pk)  # the worker's task, run here
    page = requester.get(reverse("admin:ocr_exportjob_change", args=[job.pk]))
    link = DOWNLOAD_LINK.search(page.content.decode())
    assert link is not None, "the requester is offered the download"
    response = requester.get(link.group(1).replace("&amp;", "&"))
    mark_exported_task(job.pk)  # queued by the download: the worker's task, run here
    return response
