"""Documents (``/documents``) and their links (``/document_links``).

Uploads come as JSON with base64 ``file`` or as ``multipart/form-data``, at ``/documents`` or at
``/documents?content-type=multipart`` alike: the request's own Content-Type header decides, never
that query flag (Telnyx's Python SDK sends JSON to the flagged URL). 20 MB at most; sha256,
size and an antivirus status (the EICAR test string is "infected") are computed. A document not
linked to anything within 30 minutes (sandbox clock) is deleted, as Telnyx deletes it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import mimetypes
import re
from typing import Any

import filetype

from .clock import iso, parse_iso
from .errors import fail, not_found
from .query import paginate
from .routing import Call, Raw, route
from .state import Sandbox

MAX_BYTES = 20 * 1024 * 1024
UNLINKED_TTL = 30 * 60
EICAR = b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE"
ACCEPTED = {
    "application/pdf",
    "image/png",
    "image/jpeg",
    "text/csv",
    "application/csv",
    "text/plain",
    "application/json",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def parse_multipart(body: bytes, content_type: str) -> dict[str, tuple[str | None, bytes]]:
    """``{name: (filename, content)}`` from a multipart/form-data body (exact bytes)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise fail(400, "10015", "multipart/form-data without a boundary.")
    delimiter = b"--" + match.group(1).encode()
    parts: dict[str, tuple[str | None, bytes]] = {}
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.removeprefix(b"\r\n")
        head, _, content = chunk.partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        disposition = ""
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if line.lower().startswith("content-disposition:"):
                disposition = line
        name = re.search(r'\bname="([^"]*)"', disposition)
        filename = re.search(r'\bfilename="([^"]*)"', disposition)
        if name:
            parts[name.group(1)] = (filename.group(1) if filename else None, content)
    return parts


def clean_filename(name: str, content: bytes) -> tuple[str, str]:
    """Telnyx strips spaces and appends the extension of the detected type; returns (name, type)."""
    name = name.replace(" ", "")
    if not name or len(name) > 512 or not name.isprintable():
        raise fail(
            422, "10015", "filename must be 1 to 512 printable characters.", pointer="/filename"
        )
    kind = filetype.guess(content)
    if kind is not None:
        mime = kind.mime
        if not name.lower().endswith("." + kind.extension):
            name = f"{name}.{kind.extension}"
    else:
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if mime not in ACCEPTED:
        raise fail(422, "10015", f"Files of type {mime} are not accepted.", pointer="/file")
    return name, mime


def render(doc: dict[str, Any]) -> dict[str, Any]:
    out = {
        "id": doc["id"],
        "record_type": "document",
        "filename": doc["filename"],
        "content_type": doc["content_type"],
        "size": {"amount": doc["size"], "unit": "bytes"},
        "sha256": doc["sha256"],
        "status": doc["status"],
        "av_scan_status": doc["av_scan_status"],
        "created_at": iso(doc["created_at"]),
        "updated_at": iso(doc["updated_at"]),
    }
    if doc.get("customer_reference") is not None:
        out["customer_reference"] = doc["customer_reference"]
    return out


def render_link(link: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": link["id"],
        "record_type": "document_link",
        "document_id": link["document_id"],
        "linked_record_type": link["linked_record_type"],
        "linked_resource_id": link["linked_resource_id"],
        "created_at": iso(link["created_at"]),
        "updated_at": iso(link["updated_at"]),
    }


def is_linked(sb: Sandbox, doc_id: str) -> bool:
    return any(link["document_id"] == doc_id for link in sb.store.all("document_link"))


@route("POST", "/documents")
def create_document(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    ctype = call.headers.get("content-type", "")
    if len(call.body) > MAX_BYTES * 1.4 + 65536:
        raise fail(422, "10015", "The file is larger than 20 MB.", pointer="/file")
    if ctype.split(";")[0].strip().lower() == "multipart/form-data":
        parts = parse_multipart(call.body, ctype)
        if "file" not in parts:
            raise fail(422, "10004", "The multipart body needs a file part.", pointer="/file")
        filename, content = parts["file"]
        if "filename" in parts:
            filename = parts["filename"][1].decode("utf-8", "replace")
        ref = (
            parts["customer_reference"][1].decode("utf-8", "replace")
            if ("customer_reference" in parts)
            else None
        )
        filename = filename or "document"
    else:
        data = call.json()
        ref = data.get("customer_reference")
        if data.get("url") and not data.get("file"):
            raise fail(
                422,
                "10015",
                "The sandbox cannot fetch URLs; upload the file itself.",
                pointer="/url",
            )
        raw = data.get("file")
        if not isinstance(raw, str) or not raw:
            raise fail(422, "10004", "file (base64) or url is required.", pointer="/file")
        try:
            content = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise fail(422, "10015", "file is not valid base64.", pointer="/file") from None
        filename = data.get("filename") or "document"
        if not isinstance(filename, str):
            raise fail(422, "10015", "filename must be a string.", pointer="/filename")
    if len(content) > MAX_BYTES:
        raise fail(422, "10015", "The file is larger than 20 MB.", pointer="/file")
    if not content:
        raise fail(422, "10015", "The file is empty.", pointer="/file")
    filename, mime = clean_filename(filename, content)
    infected = EICAR in content
    now = sb.now()
    doc: dict[str, Any] = {
        "id": sb.new_id(),
        "filename": filename,
        "content_type": mime,
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "customer_reference": ref,
        "status": "denied" if infected else "pending",
        "av_scan_status": "infected" if infected else "scanned",
        "created_at": now,
        "updated_at": now,
    }
    sb.store.put_blob(doc["id"], content)
    sb.store.put("document", doc)
    return 200, {"data": render(doc)}


def _doc(sb: Sandbox, doc_id: str) -> dict[str, Any]:
    doc = sb.store.get("document", doc_id)
    if doc is None:
        raise not_found("document")
    return doc


@route("GET", "/documents")
def list_documents(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    from .catalogue_api import _sort, sort_keys

    q = call.query
    records = list(reversed(sb.store.all("document")))
    contains = q.filter_str("filename", "contains")
    eq = q.filter_str("customer_reference", "eq")
    within = q.filter_list("customer_reference", "in")
    if contains:
        records = [d for d in records if contains.lower() in d["filename"].lower()]
    if eq is not None:
        records = [d for d in records if d.get("customer_reference") == eq]
    if within:
        records = [d for d in records if d.get("customer_reference") in within]
    for name in ("gt", "lt"):
        raw = q.filter_str("created_at", name)
        if raw:
            ts = parse_iso(raw)
            if ts is None:
                raise fail(422, "10015", f"filter[created_at][{name}] is not a date-time.")
            records = [
                d
                for d in records
                if (d["created_at"] > ts if name == "gt" else d["created_at"] < ts)
            ]
    rendered = [render(d) for d in records]
    rendered = _sort(rendered, sort_keys(call), ("filename", "created_at", "updated_at"))
    page, meta = paginate(q, rendered)
    return 200, {"data": page, "meta": meta}


@route("GET", "/documents/{id}")
def get_document(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    return 200, {"data": render(_doc(sb, call.params["id"]))}


@route("PATCH", "/documents/{id}")
def update_document(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    doc = _doc(sb, call.params["id"])
    data = call.json()
    if "filename" in data:
        if not isinstance(data["filename"], str):
            raise fail(422, "10015", "filename must be a string.", pointer="/filename")
        doc["filename"], _ = clean_filename(data["filename"], sb.store.get_blob(doc["id"]) or b"")
    if "customer_reference" in data:
        doc["customer_reference"] = data["customer_reference"]
    doc["updated_at"] = sb.now()
    sb.store.put("document", doc)
    return 200, {"data": render(doc)}


@route("DELETE", "/documents/{id}")
def delete_document(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    doc = _doc(sb, call.params["id"])
    if is_linked(sb, doc["id"]):
        raise fail(
            422, "10015", "The document is linked to a service; unlink it before deleting it."
        )
    sb.store.delete("document", doc["id"])
    sb.store.delete_blob(doc["id"])
    return 200, {"data": render(doc)}


@route("GET", "/documents/{id}/download")
def download_document(sb: Sandbox, call: Call) -> Raw:
    doc = _doc(sb, call.params["id"])
    content = sb.store.get_blob(doc["id"]) or b""
    return Raw(
        200,
        content,
        doc["content_type"],
        {"content-disposition": f'attachment; filename="{doc["filename"]}"'},
    )


@route("GET", "/document_links")
def list_links(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    q = call.query
    records = list(reversed(sb.store.all("document_link")))
    rtype = q.filter_str("linked_record_type")
    rid = q.filter_str("linked_resource_id")
    if rtype:
        records = [r for r in records if r["linked_record_type"] == rtype]
    if rid:
        records = [r for r in records if r["linked_resource_id"] == rid]
    page, meta = paginate(q, records)
    return 200, {"data": [render_link(r) for r in page], "meta": meta}


def run_due(sb: Sandbox) -> None:
    """Delete documents nobody linked within 30 minutes."""
    cutoff = sb.now() - UNLINKED_TTL
    linked = {link["document_id"] for link in sb.store.all("document_link")}
    for doc in sb.store.all("document"):
        if doc["created_at"] <= cutoff and doc["id"] not in linked:
            sb.store.delete("document", doc["id"])
            sb.store.delete_blob(doc["id"])
