"""Figures for the document intake pipeline: how long checks take and how much memory they use.

Run: ``PORTAL_TESTING=1 .venv/bin/python bench/compliance_intake.py``. No database needed: it
times the content checks (``inspect``, which run in a child process: the RSS printed here is
this process's, not the checks'), encryption at rest (vault put/get, streaming AEAD) and the
pixel-bomb refusal (P28: well under 2 s). Memory of a real web process taking uploads, and of
the checks' child, is measured by ``bench/compliance_uploads.py``.
"""

from __future__ import annotations

import contextlib
import io
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("PORTAL_TESTING", "1")
os.environ.setdefault("DOCUMENT_STORAGE_ROOT", tempfile.mkdtemp(prefix="bench-vault-"))

import django

django.setup()

import pikepdf  # noqa: E402
from PIL import Image  # noqa: E402

from compliance.documents import vault  # noqa: E402
from compliance.documents.intake import DocumentRefused, inspect  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, fn, repeat: int = 3) -> None:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    print(f"{label:<48} {best * 1000:8.1f} ms   (peak RSS {rss_mb():6.1f} MB)")


def photo_jpeg(size: tuple[int, int] = (3000, 2000)) -> bytes:
    out = io.BytesIO()
    Image.effect_noise(size, 64).convert("RGB").save(out, format="JPEG", quality=92)
    return out.getvalue()


def multi_page_pdf(pages: int) -> bytes:
    doc = pikepdf.new()
    for _ in range(pages):
        doc.add_blank_page(page_size=(595, 842))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def bomb_png(side: int = 20000) -> bytes:
    out = io.BytesIO()
    Image.new("1", (side, side), 0).save(out, format="PNG", optimize=True)
    return out.getvalue()


def main() -> None:
    jpeg = photo_jpeg()
    pdf = multi_page_pdf(20)
    bomb = bomb_png()
    print(
        f"samples: JPEG {len(jpeg) / 1e6:.1f} MB (6 Mpx), PDF 20 pages {len(pdf) / 1e3:.0f} kB, "
        f"pixel bomb PNG {len(bomb) / 1e3:.0f} kB (400 Mpx)"
    )
    timed("inspect JPEG (decode, re-encode, thumbnail)", lambda: inspect(jpeg, "id.jpg"))
    timed("inspect 20-page PDF (parse, scan, preview)", lambda: inspect(pdf, "proof.pdf"))
    before = rss_mb()
    start = time.perf_counter()
    with contextlib.suppress(DocumentRefused):
        inspect(bomb, "bomb.png")
    print(
        f"{'refuse pixel bomb':<48} {(time.perf_counter() - start) * 1000:8.1f} ms   "
        f"(peak RSS +{rss_mb() - before:.1f} MB)"
    )
    blob = os.urandom(20 * 1024 * 1024)
    names: list[str] = []
    timed("encrypt + write 20 MB (streaming AEAD)", lambda: names.append(vault.put(blob)), repeat=2)
    timed("read + decrypt 20 MB", lambda: vault.get(names[0]), repeat=2)
    for name in names:
        vault.delete(name)


if __name__ == "__main__":
    main()
