"""Streaming CSV: UTF-8 with a BOM (Excel keeps accents), formulas neutralised, streamed."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from django.http import StreamingHttpResponse

from portal.csv_export import cell, csv_response


def read(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def test_accents_and_separators_survive_a_round_trip():
    response = csv_response("x.csv", ["Name", "Note"], [["Zoë Müller-Łukasz", 'a, "quoted"\nline']])
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert response["Cache-Control"] == "no-store"
    assert read(response) == [["Name", "Note"], ["Zoë Müller-Łukasz", 'a, "quoted"\nline']]


def test_cells_a_spreadsheet_would_run_as_formulas_get_an_apostrophe():
    evil = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
    response = csv_response("x.csv", ["v"], [[v] for v in evil] + [["plain = fine"]])
    rows = read(response)[1:]
    assert [r[0] for r in rows] == ["'" + v for v in evil] + ["plain = fine"]


def test_values_are_written_plainly():
    assert cell(None) == ""
    assert cell(True) == "yes"
    assert cell(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02 03:04:05"
    assert cell(42) == "42"


def test_rows_are_produced_while_the_answer_is_sent():
    produced = []

    def rows():
        for i in range(3):
            produced.append(i)
            yield [i]

    response = csv_response("x.csv", ["n"], rows())
    assert isinstance(response, StreamingHttpResponse)
    stream = iter(response.streaming_content)
    next(stream)  # header
    assert produced == []
    next(stream)
    assert produced == [0]
