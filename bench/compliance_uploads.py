"""Peak memory growth of a real web process while it takes document uploads (P52).

Starts ``manage.py runserver --noreload`` as a subprocess, signs a bench user in (a session
with the second factor passed, written to the database like a real login), then POSTs over HTTP:

* the hostile corpus (1 GiB content-stream, nested-Flate and object-stream bombs of about 1 MB,
  a 100000 x 100000 image in a PDF, a 20000 x 20000 PNG) - each must be refused;
* a valid PDF of about 20 MB (scanned pages as JPEG images) - must be accepted.

Last, the peak RSS of the checks' child process for each file (and a valid 40 Mpx RGBA PNG),
which must stay under ``DOCUMENT_CHECK_MEMORY_MB``.

Before each upload the server's peak RSS is reset (``/proc/PID/clear_refs``, value 5) and its RSS
read; afterwards ``VmHWM`` gives the peak, and a sampler reading ``VmRSS`` every 2 ms confirms it.
Growth = peak - RSS before; kept = RSS after - RSS before. Goals: hostile corpus < 100 MB, valid
20 MB document < 10 MB. The checks themselves run in a child process of the server with its own
limits (``DOCUMENT_CHECK_MEMORY_MB``): that memory is not the web process's and is returned when
the child exits.

Usage: ``DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python
bench/compliance_uploads.py [--project DIR]`` (the database is migrated first). ``--project``
runs the server from another checkout (e.g. an older commit) with this corpus, for comparison.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import io
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("PORTAL_TESTING", "1")

from bench.memory import Sampler, status_kb  # noqa: E402
from scripts.prod_check import free_port  # noqa: E402

os.environ.setdefault("DOCUMENT_STORAGE_ROOT", tempfile.mkdtemp(prefix="bench-vault-"))
os.environ.setdefault("FILE_UPLOAD_TEMP_DIR", tempfile.mkdtemp(prefix="bench-uploads-"))

MB = 1024 * 1024


def size_label(size: int) -> str:
    return f"{size / MB:.1f} MB" if size >= MB else f"{size / 1024:.0f} kB"


def valid_pdf(target: int = 20 * MB - 64 * 1024) -> bytes:
    """A PDF of about ``target`` bytes: pages of noisy JPEG 'scans', as phones produce."""
    import pikepdf
    from PIL import Image

    doc = pikepdf.new()
    size = 0
    while True:
        out = io.BytesIO()
        Image.effect_noise((1000, 780), 60).convert("RGB").save(out, "JPEG", quality=95)
        if size + len(out.getvalue()) + 64 * 1024 > target:
            break
        jpeg = out.getvalue()
        size += len(jpeg)
        doc.add_blank_page(page_size=(595, 842))
        page = doc.pages[-1]
        image = pikepdf.Stream(doc, jpeg)
        image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        image.Width, image.Height, image.BitsPerComponent = 1000, 780, 8
        image.ColorSpace, image.Filter = pikepdf.Name.DeviceRGB, pikepdf.Name.DCTDecode
        page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
        page.Contents = doc.make_stream(b"q 595 0 0 463 0 190 cm /Im0 Do Q")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def large_png() -> bytes:
    """A valid RGBA PNG just under the default pixel limit (40 Mpx: 160 MB decoded)."""
    from PIL import Image

    out = io.BytesIO()
    Image.linear_gradient("L").resize((7300, 5400)).convert("RGBA").save(out, "PNG")
    return out.getvalue()


def signed_in_cookies() -> dict[str, str]:
    """A bench user with the staff role, signed in with the second factor passed."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from portal.roles import STAFF

    user = get_user_model().objects.create_user(f"bench-{uuid.uuid4().hex[:8]}")
    user.groups.add(Group.objects.get_or_create(name=STAFF)[0])
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    from django.conf import settings

    return {settings.SESSION_COOKIE_NAME: session.session_key or "", "csrftoken": ""}


@contextlib.contextmanager
def server(project: Path, port: int) -> Iterator[int]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if proc.poll() is not None:
                raise RuntimeError("the server exited at start")
            time.sleep(0.05)
        yield proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def upload(
    base: str, cookies: dict[str, str], data: bytes, name: str, pid: int
) -> tuple[str, float]:
    import httpx

    token = secrets.token_hex(16)
    headers = {
        "X-CSRFToken": token,
        "Cookie": "; ".join(f"{k}={v}" for k, v in {**cookies, "csrftoken": token}.items()),
    }
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    before = status_kb(pid, "VmRSS")
    start = time.perf_counter()
    with Sampler(pid) as sampler:
        response = httpx.post(
            f"{base}/compliance/documents/upload",
            files={"file": (name, io.BytesIO(data), "application/octet-stream")},
            headers=headers,
            timeout=120,
        )
    elapsed = time.perf_counter() - start
    peak = max(status_kb(pid, "VmHWM"), sampler.peak)
    after = status_kb(pid, "VmRSS")
    text = response.text
    reason = ""
    if "data-upload-error" in text or response.status_code >= 400:
        reason = text.split("data-upload-error", 1)[-1].split(">", 1)[-1].split("<", 1)[0]
        reason = html.unescape(reason.strip())
    return (
        f"{name:<11} {size_label(len(data)):>8} -> {response.status_code} in {elapsed:4.1f} s  "
        f"peak +{(peak - before) / 1024:6.1f} MB  kept +{(after - before) / 1024:6.1f} MB"
        f"  (RSS {before / 1024:4.0f} MB)  {reason[:60]}"
    ), (peak - before) / 1024


CHILD_PEAK = """
import os, resource, sys
sys.path.insert(0, sys.argv[1])
import django
django.setup()
from compliance.documents.intake import DocumentRefused, inspect
try:
    inspect(open(sys.argv[2], "rb").read(), sys.argv[3])
    outcome = "accepted"
except DocumentRefused:
    outcome = "refused"
print(outcome, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
"""


def child_peak(data: bytes, name: str) -> str:
    """Peak RSS of the check's child process for one file (its own parent, so alone)."""
    with tempfile.NamedTemporaryFile(suffix=name) as fh:
        fh.write(data)
        fh.flush()
        result = subprocess.run(
            [sys.executable, "-c", CHILD_PEAK, str(ROOT), fh.name, name],
            capture_output=True,
            text=True,
            check=True,
        )
    outcome, peak = result.stdout.split()[-2:]
    return f"{name:<11} {outcome:<8} child peak RSS {peak:>4} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--project", type=Path, default=ROOT)
    args = parser.parse_args()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, check=True
    )
    import django

    django.setup()
    from django.urls import reverse

    from tests.compliance import hostile, samples

    assert reverse("compliance:document-upload") == "/compliance/documents/upload"
    cookies = signed_in_cookies()
    corpus = [(data, name) for data, name in hostile.bombs().values()]
    valid = valid_pdf()
    port = free_port()
    print(f"server: runserver --noreload from {args.project} (pid measured via /proc)")
    with server(args.project.resolve(), port) as pid:
        base = f"http://127.0.0.1:{port}"
        line, _ = upload(base, cookies, samples.pdf(), "warmup.pdf", pid)
        print("warm-up      ", line)
        print("hostile corpus (each must be refused):")
        worst = 0.0
        for data, name in corpus:
            line, growth = upload(base, cookies, data, name, pid)
            worst = max(worst, growth)
            print("  ", line)
        print(f"  worst peak growth for the hostile corpus: +{worst:.1f} MB (goal < 100 MB)")
        line, growth = upload(base, cookies, valid, "scans.pdf", pid)
        print("valid document (must be accepted):")
        print("  ", line)
        print(
            f"  peak growth for a valid {len(valid) / MB:.1f} MB PDF: +{growth:.1f} MB"
            " (goal < 10 MB)"
        )
    from django.conf import settings

    limit = settings.DOCUMENT_CHECK_MEMORY_MB
    print(f"the checks' child process (limit DOCUMENT_CHECK_MEMORY_MB={limit}):")
    for data, name in [*corpus, (valid, "scans.pdf"), (large_png(), "40mpx.png")]:
        print("  ", child_peak(data, name))


if __name__ == "__main__":
    main()
