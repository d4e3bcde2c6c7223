"""Streaming CSV answers that open in Excel and LibreOffice with accents intact.

UTF-8 with a byte order mark (Excel reads a BOM-less file as the local ANSI code page), CRLF
line ends, every row written as it is produced so 50,000 rows cost no more memory than 50
(``bench/exports.py``). Cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``,
``@``, tab, CR) get a leading apostrophe (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from django.http import HttpRequest, QueryDict, StreamingHttpResponse
from django.utils import timezone

BOM = "\ufeff"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Line:
    """A file-like object whose ``write`` returns the line instead of storing it."""

    def write(self, value: str) -> str:
        return value


def cell(value: Any) -> str:
    """One value as a spreadsheet-safe text."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value.tzinfo else str(value)
        )
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV text of ``header`` and ``rows``, one line at a time, BOM first."""
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield BOM + writer.writerow([cell(h) for h in header])
    for row in rows:
        yield writer.writerow([cell(v) for v in row])


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """A streamed CSV download, not cached anywhere (lists may show personal values: P42)."""
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in lines(header, rows)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def filters_query(request: HttpRequest) -> str:
    """A list's filters as a query string for its export link and the audit trail: the page
    number and empty parameters (an untouched form field) dropped."""
    query = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        kept = [v for v in values if v != ""]
        if key != "page" and kept:
            query.setlist(key, kept)
    return query.urlencode()
