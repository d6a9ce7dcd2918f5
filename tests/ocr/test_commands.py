"""The reading commands, as operators, RPA and scanners' hot folders use them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from ocr.models import Batch, SourceFile
from tests.ocr import bombs, samples
from yomitoru.lib.sensitive_text import contains_number

pytestmark = pytest.mark.django_db


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def test_ingest_prints_ids_statuses_and_rejections_never_values(catalog, tmp_path: Path) -> None:
    data, truth = samples.filled_scan("furusato-onestop", 21)
    good = write(tmp_path, "scan.png", data)
    bad = write(tmp_path, "scan.pdf", b"%PDF-1.4 broken")
    out = io.StringIO()
    call_command("ingest", good, bad, form="furusato-onestop", sync=True, stdout=out)

    result = json.loads(out.getvalue())
    assert set(result) == {"batch", "documents", "rejected"}
    assert Batch.objects.get(pk=result["batch"]).source == Batch.Source.CLI
    [document] = result["documents"]
    assert set(document) == {"id", "status", "needs_review"}
    assert document["status"] in {"needs_review", "auto_accepted"}
    assert isinstance(document["needs_review"], int)
    assert result["rejected"] == [
        {
            "file": "scan.pdf",
            "error": "corrupt_file",
            "message": SourceFile.objects.get(original_name="scan.pdf").error_message,
        }
    ]
    assert truth["mynumber"] not in out.getvalue()
    assert truth["name"] not in out.getvalue()


def test_ingest_without_sync_queues(catalog, tmp_path: Path) -> None:
    data, _ = samples.filled_scan("furusato-onestop", 22)
    out = io.StringIO()
    call_command("ingest", write(tmp_path, "a.png", data), form="furusato-onestop", stdout=out)
    assert json.loads(out.getvalue())["documents"][0]["status"] == "queued"


def test_read_form_prints_every_field_and_stores_nothing(catalog, tmp_path: Path) -> None:
    data, truth = samples.filled_scan("furusato-onestop", 23)
    out = io.StringIO()
    call_command(
        "read_form", write(tmp_path, "scan.png", data), form="furusato-onestop", stdout=out
    )
    result = json.loads(out.getvalue())
    assert result["file"].endswith("scan.png")
    assert 0.45 <= result["alignment"] <= 1
    assert set(result["fields"]) == set(truth)
    for reading in result["fields"].values():
        assert set(reading) == {"value", "confidence", "valid", "needs_review"}
        assert 0 <= reading["confidence"] <= 1
    assert result["fields"]["consent"]["value"] == truth["consent"]
    assert Batch.objects.count() == 0 and SourceFile.objects.count() == 0


def test_read_form_reports_an_unreadable_file_and_goes_on(catalog, tmp_path: Path) -> None:
    data, _ = samples.filled_scan("furusato-onestop", 23)
    out = io.StringIO()
    call_command(
        "read_form",
        write(tmp_path, "zero.png", b""),
        write(tmp_path, "scan.png", data),
        form="furusato-onestop",
        stdout=out,
    )
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["error"] == "empty_file"
    assert second["fields"]


def watch_once(inbox: Path) -> None:
    """One pass of the hot folder over ``inbox``."""
    call_command(
        "watch_folder",
        inbox,
        form="furusato-onestop",
        once=True,
        interval=0.1,
        stdout=io.StringIO(),
    )


def test_watch_folder_ingests_each_file_once_and_moves_it_aside(catalog, tmp_path: Path) -> None:
    data, _ = samples.filled_scan("furusato-onestop", 24)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write(inbox, "scan-1.png", data)
    write(inbox, "broken.png", b"\x89PNG\r\n\x1a\nbroken")
    watch_once(inbox)

    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == []
    assert [p.name.split("-", 2)[-1] for p in (inbox / "processed").iterdir()] == ["scan-1.png"]
    assert [p.name.split("-", 2)[-1] for p in (inbox / "rejected").iterdir()] == ["broken.png"]
    assert Batch.objects.get().source == Batch.Source.FOLDER

    # The same scan dropped again is recognised by its SHA-256 and not read twice.
    write(inbox, "scan-1-again.png", data)
    watch_once(inbox)
    again = SourceFile.objects.get(original_name="scan-1-again.png")
    assert again.status == SourceFile.Status.DUPLICATE


def test_watch_folder_goes_on_past_a_file_intake_cannot_take(catalog, tmp_path: Path) -> None:
    data, _ = samples.filled_scan("furusato-onestop", 25)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write(inbox, "a-bomb.tif", bombs.tiff_with_huge_frame())
    write(inbox, "b-scan.png", data)
    watch_once(inbox)

    assert [p.name for p in inbox.iterdir() if p.is_file()] == []
    assert [p.name.split("-", 2)[-1] for p in (inbox / "rejected").iterdir()] == ["a-bomb.tif"]
    assert [p.name.split("-", 2)[-1] for p in (inbox / "processed").iterdir()] == ["b-scan.png"]
    bomb = SourceFile.objects.get(original_name="a-bomb.tif")
    assert (bomb.status, bomb.error_code) == (SourceFile.Status.REJECTED, "too_many_pixels")
    batch = Batch.objects.get()
    assert batch.status == Batch.Status.PROCESSING
    assert batch.documents.get().status == "queued"


def test_watch_folder_cuts_what_is_ready_into_batches_within_the_limits(
    catalog, tmp_path: Path, settings
) -> None:
    settings.INGEST_MAX_FILES = 2
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for seed in (26, 27, 28):
        write(inbox, f"scan-{seed}.png", samples.filled_scan("furusato-onestop", seed)[0])
    watch_once(inbox)

    assert sorted(Batch.objects.values_list("files__status", flat=True)) == ["accepted"] * 3
    assert sorted(b.files.count() for b in Batch.objects.all()) == [1, 2]
    assert len(list((inbox / "processed").iterdir())) == 3


def test_ingest_refuses_more_files_than_one_batch_holds(catalog, tmp_path: Path, settings) -> None:
    settings.INGEST_MAX_FILES = 1
    data, _ = samples.filled_scan("furusato-onestop", 29)
    paths = [write(tmp_path, "a.png", data), write(tmp_path, "b.png", data)]
    with pytest.raises(CommandError, match="at most 1 per batch"):
        call_command("ingest", *paths, form="furusato-onestop", stdout=io.StringIO())
    assert Batch.objects.count() == 0


def test_ingest_prints_file_names_without_numbers(catalog, tmp_path: Path) -> None:
    path = write(tmp_path, "0069－6736－2709.png", b"\x89PNG\r\n\x1a\nbroken")
    out = io.StringIO()
    call_command("ingest", path, form="furusato-onestop", stdout=out)
    [rejected] = json.loads(out.getvalue())["rejected"]
    assert rejected["file"] == "［番号削除］.png"
    assert not contains_number(out.getvalue())
