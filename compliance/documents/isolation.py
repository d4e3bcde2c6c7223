"""Running the content checks of an upload in a child process with hard limits (P28, P52).

The web process never decodes an uploaded file: ``cleaning.py`` runs in a fresh interpreter
(``python -I``, an empty environment, so no key or password reaches it) under
``DOCUMENT_CHECK_MEMORY_MB`` of address space, a CPU limit, an output-size limit and a
wall-clock deadline of ``DOCUMENT_CHECK_SECONDS``. Whatever a hostile file does to the decoders,
the web process does not grow and the worst case is a refusal with a message saying why.

The child reads the upload from an inherited file descriptor and writes the cleaned file and
its preview to two more (anonymous temporary files of the caller), so nothing is piped through
memory and no plaintext file has a name on disk.
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
from pathlib import Path
from typing import IO, Any

from django.conf import settings

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from compliance.documents.cleaning import main; main()"
)
MB = 1024 * 1024


class CheckRefused(Exception):
    """The checks refused the file, or could not finish within the limits."""


def _job(mime: str, source: IO[bytes], out: IO[bytes], preview: IO[bytes]) -> dict[str, object]:
    seconds = settings.DOCUMENT_CHECK_SECONDS
    return {
        "mime": mime,
        "source_fd": source.fileno(),
        "out_fd": out.fileno(),
        "preview_fd": preview.fileno(),
        "memory_bytes": settings.DOCUMENT_CHECK_MEMORY_MB * MB,
        "cpu_seconds": int(seconds) + 1,
        # The cleaned file is about the size of the upload (streams are copied, not inflated).
        "output_bytes": 2 * settings.DOCUMENT_MAX_BYTES + 16 * MB,
        "limits": {
            "max_pixels": settings.DOCUMENT_MAX_PIXELS,
            "max_pages": settings.DOCUMENT_MAX_PDF_PAGES,
            "max_expanded_bytes": settings.DOCUMENT_MAX_EXPANDED_MB * MB,
        },
    }


def check(mime: str, source: IO[bytes], out: IO[bytes], preview: IO[bytes]) -> int | None:
    """Check and clean ``source`` into ``out`` (and its PNG preview into ``preview``).

    All three must be real files (``fileno()``); ``source`` is read from its start. Returns the
    page count (``None`` for images); raises ``CheckRefused`` with the user's message.
    """
    seconds = settings.DOCUMENT_CHECK_SECONDS
    job = _job(mime, source, out, preview)
    for fh in (source, out, preview):
        fh.flush()
    source.seek(0)
    try:
        result = subprocess.run(  # noqa: S603 - our own interpreter and module, no shell
            [settings.DOCUMENT_CHECK_PYTHON, "-I", "-c", BOOT, str(PROJECT_ROOT)],
            input=json.dumps(job).encode(),
            capture_output=True,
            timeout=seconds,
            pass_fds=(source.fileno(), out.fileno(), preview.fileno()),
            env={"LC_ALL": "C.UTF-8"},
            cwd=PROJECT_ROOT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise CheckRefused(
            f"Checking the file took longer than {seconds:g} seconds; it was refused."
        ) from exc
    answer = _answer(result.stdout)
    if "refused" in answer:
        raise CheckRefused(str(answer["refused"]))
    # pdfium aborts when an allocation fails; qpdf and Python raise (MemoryError, bad_alloc).
    out_of_memory = result.returncode in (-signal.SIGABRT, -signal.SIGKILL) or any(
        marker in result.stderr for marker in (b"MemoryError", b"bad_alloc")
    )
    if answer.get("memory") or out_of_memory:
        raise CheckRefused(
            f"The file needs more than {settings.DOCUMENT_CHECK_MEMORY_MB} MB of memory to "
            "check once decompressed; it was refused."
        )
    if result.returncode == -signal.SIGXCPU:
        raise CheckRefused(
            f"Checking the file took longer than {seconds:g} seconds; it was refused."
        )
    if result.returncode == -signal.SIGXFSZ:
        raise CheckRefused("The cleaned file would be too large; it was refused.")
    if result.returncode != 0 or "pages" not in answer:
        # Only the exit status is logged: the child's output may quote the file.
        logger.warning("document check failed with exit status %s", result.returncode)
        raise CheckRefused("The file could not be checked; it may be damaged.")
    out.seek(0)
    preview.seek(0)
    pages = answer["pages"]
    return int(pages) if pages is not None else None


def _answer(stdout: bytes) -> dict[str, Any]:
    try:
        answer = json.loads(stdout or b"{}")
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}
