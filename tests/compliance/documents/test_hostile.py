"""A hostile upload corpus is refused with a clear message or disarmed (P27, P28, P52).

Decompression bombs are refused by the bounded checks in the child process (decoded-size budget,
pixel limits) or by its memory and time limits; PDF actions are kept by allow-list, so the
stored file carries none but internal links.
"""

from __future__ import annotations

import io
import time

import pikepdf
import pytest

from compliance.documents import vault
from compliance.documents.intake import DocumentRefused, ingest
from compliance.models import Document
from tests.compliance import hostile

pytestmark = pytest.mark.django_db

INFLATED = 256 * hostile.MIB
BUDGET_MB = 64
REFUSALS = {
    "content_stream_bomb": "compressed content expands to more than 64 MB",
    "nested_flate_bomb": "compressed content expands to more than 64 MB",
    "object_stream_bomb": "compressed content expands to more than 64 MB",
    "pdf_pixel_bomb": "image with too many pixels",
    "png_pixel_bomb": "too many pixels",
}


def _nothing_left(vault_root, settings) -> None:
    from pathlib import Path

    assert Document.objects.count() == 0
    assert not vault_root.exists() or list(vault_root.iterdir()) == []
    assert list(Path(settings.FILE_UPLOAD_TEMP_DIR).iterdir()) == []


def _actions(pdf_bytes: bytes) -> list[str]:
    """Every action left in a PDF but internal ``/GoTo`` links without a chained action."""
    found: list[str] = []

    def walk(obj, depth: int = 0) -> None:
        if depth > 40:
            return
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            for key in ("/OpenAction", "/AA"):
                if key in obj:
                    found.append(key)
            action = obj.get("/A")
            is_action = isinstance(action, pikepdf.Dictionary) and "/S" in action
            if is_action and (str(action.S) != "/GoTo" or "/Next" in action):
                found.append(f"/A {action.S}")
            for _key, value in obj.items():
                if isinstance(value, pikepdf.Object) and not value.is_indirect:
                    walk(value, depth + 1)
        elif isinstance(obj, pikepdf.Array):
            for item in obj:
                if isinstance(item, pikepdf.Object) and not item.is_indirect:
                    walk(item, depth + 1)

    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        for obj in [*pdf.objects, pdf.trailer]:
            walk(obj)
    return found


def _decoded(pdf_bytes: bytes) -> bytes:
    """The PDF with every stream decoded and no object streams, to search its text."""
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        pdf.save(
            out,
            stream_decode_level=pikepdf.StreamDecodeLevel.all,
            object_stream_mode=pikepdf.ObjectStreamMode.disable,
            compress_streams=False,
        )
    return out.getvalue()


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_p28_p52_decompression_bombs_are_refused_with_a_clear_message_and_keep_nothing(
    name, settings, upload_file, vault_root, alice
):
    settings.DOCUMENT_MAX_EXPANDED_MB = BUDGET_MB
    data, filename = hostile.bombs(INFLATED)[name]
    assert len(data) < 2 * 1024 * 1024
    start = time.monotonic()
    with pytest.raises(DocumentRefused, match=REFUSALS[name]):
        ingest(upload_file(data, filename), uploaded_by=alice)
    assert time.monotonic() - start < 10
    _nothing_left(vault_root, settings)


def test_p52_a_check_that_needs_more_memory_than_allowed_is_refused(
    settings, upload_file, vault_root, alice
):
    # Past the decoded-size budget, the child's address-space limit still holds.
    settings.DOCUMENT_MAX_EXPANDED_MB = 100_000
    settings.DOCUMENT_CHECK_MEMORY_MB = 200
    data, filename = hostile.bombs(INFLATED)["content_stream_bomb"]
    with pytest.raises(DocumentRefused, match="needs more than 200 MB of memory"):
        ingest(upload_file(data, filename), uploaded_by=alice)
    _nothing_left(vault_root, settings)


def test_p52_a_check_that_takes_too_long_is_stopped_and_refused(
    settings, upload_file, vault_root, alice
):
    settings.DOCUMENT_MAX_EXPANDED_MB = 100_000
    settings.DOCUMENT_CHECK_SECONDS = 0.2
    data, filename = hostile.bombs(INFLATED)["nested_flate_bomb"]
    start = time.monotonic()
    with pytest.raises(DocumentRefused, match=r"took longer than 0\.2 seconds"):
        ingest(upload_file(data, filename), uploaded_by=alice)
    assert time.monotonic() - start < 5
    _nothing_left(vault_root, settings)


def test_the_hostile_pdfs_carry_actions_before_intake():
    for variant, data in hostile.ACTIONS.items():
        assert _actions(data), variant


@pytest.mark.parametrize("variant", sorted(hostile.ACTIONS))
def test_p52_pdf_actions_of_any_kind_are_removed_from_the_stored_file(variant, upload_file, alice):
    document = ingest(upload_file(hostile.ACTIONS[variant], "form.pdf"), uploaded_by=alice)
    stored = vault.get(document.storage_name)
    assert _actions(stored) == []
    text = _decoded(stored).lower()
    assert b"evil.example" not in text
    assert b"javascript" not in text
    assert b"6a617661736372697074" not in text  # "javascript" as a hex string


def test_p52_an_internal_link_is_kept_without_its_chained_action(upload_file, alice):
    data = hostile.link_annotation(hostile.INTERNAL_LINK)
    document = ingest(upload_file(data, "links.pdf"), uploaded_by=alice)
    stored = vault.get(document.storage_name)
    assert _actions(stored) == []
    with pikepdf.open(io.BytesIO(stored)) as pdf:
        (annot,) = pdf.pages[0].Annots
        assert str(annot.A.S) == "/GoTo"


def test_p27_a_hex_escaped_javascript_action_name_is_refused(
    upload_file, vault_root, alice, settings
):
    data = hostile.link_annotation(hostile.HEX_NAMED_JAVASCRIPT)
    assert b"/J#61vaScript" in data
    with pytest.raises(DocumentRefused, match="contains JavaScript"):
        ingest(upload_file(data, "form.pdf"), uploaded_by=alice)
    _nothing_left(vault_root, settings)
