"""P48: no input makes the intake crash; every outcome is a clean document or a refusal."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.documents.filenames import UnsafeFilename, sanitize_filename
from compliance.documents.intake import DocumentRefused, inspect
from tests.compliance import samples

SEEDS = [samples.png(), samples.pdf(), samples.jpeg_with_gps()]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    cut=st.integers(min_value=0, max_value=4000),
    junk=st.binary(max_size=64),
    position=st.integers(min_value=0, max_value=4000),
    name=st.sampled_from(["a.png", "a.pdf", "a.jpg", "a", "a.exe"]),
)
def test_p48_mutated_files_are_refused_or_cleaned_never_crash(seed, cut, junk, position, name):
    data = seed[:cut] + junk + seed[cut + len(junk) :] if cut < len(seed) else seed + junk
    data = data[:position] + data[position:]
    try:
        clean = inspect(data, name)
    except DocumentRefused as exc:
        assert str(exc)
    else:
        assert clean.content_type in {"image/png", "image/jpeg", "application/pdf"}
        assert clean.preview_png.startswith(b"\x89PNG")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600))
def test_p29_any_name_becomes_a_safe_display_name_or_a_refusal(name):
    try:
        safe = sanitize_filename(name)
    except UnsafeFilename:
        return
    assert safe
    assert "/" not in safe and "\\" not in safe and "\x00" not in safe
    assert "\r" not in safe and "\n" not in safe
    assert len(safe) <= 200


@pytest.mark.parametrize(
    "data", [b"%PDF-", b"%PDF-1.7\n%%EOF", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"]
)
def test_p48_tiny_headers_only_are_refused(data):
    name = "x.pdf" if data.startswith(b"%PDF") else ("x.png" if data[1:4] == b"PNG" else "x.jpg")
    with pytest.raises(DocumentRefused):
        inspect(data, name)
