"""CSV in and out, the same way for every table and every import.

Writing: UTF-8 *with* a byte-order mark, comma-separated, CRLF line ends (RFC 4180) — Excel only
reads accented names right when the BOM is there, and every CSV reader we know (Python's
``utf-8-sig``, pandas, LibreOffice, Numbers, Google Sheets) skips it. Cells a spreadsheet would
run as a formula (first character ``= + - @``, tab or carriage return) are prefixed with ``'``
(OWASP "CSV injection"); numbers we write ourselves (negative deltas) are left as numbers.

Reading: UTF-8 (BOM or not), a size and a line limit, a header whose names are trimmed and
case-folded; every problem is collected with its line number so a bad file is refused whole.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXTRA = "\x00extra"  # where a line's cells past the header go (no header can be named so)
# What one import request may carry, for every CSV import: a file is checked line by line
# against the database, and 20,000 restock lines held a web worker for 11 s. Past either limit
# the request is refused whole (413) before any line is looked at.
MAX_BYTES = 512 * 1024
MAX_ROWS = 2_000


class CsvError(ValueError):
    """A file refused whole: ``errors`` names each problem (``line N: …``)."""

    status = 422

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors[:5]))
        self.errors = errors


class CsvTooLarge(CsvError):
    """A file past ``MAX_BYTES`` or ``MAX_ROWS``: split it and import each part."""

    status = 413

    def body(self) -> dict:
        """The JSON answer (the panel says it in the merchant's language from the limits)."""
        return {
            "error": "nothing was imported: " + str(self),
            "errors": self.errors,
            "max_rows": MAX_ROWS,
            "max_bytes": MAX_BYTES,
        }


# --------------------------------------------------------------------------- writing


def cell(value) -> str | int | float:
    """One value as a spreadsheet should see it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write(columns: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """The CSV text, a chunk at a time (BOM and header first): safe to stream."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for count, row in enumerate(rows, start=1):
        writer.writerow([cell(v) for v in row])
        if count % 500 == 0:
            yield _take(buffer)
    yield _take(buffer)


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate(0)
    return text


# --------------------------------------------------------------------------- reading


def read(
    raw: bytes, required: set[str], *, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS
) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) for each line of a CSV upload; CsvError on a file that is not one,
    CsvTooLarge on one past the limits (every line is read before any is returned).

    Header names are trimmed and lower-cased; so are the keys of each row. Line numbers count
    the header as line 1, as a spreadsheet shows them.
    """
    if len(raw) > max_bytes:
        raise CsvTooLarge([f"the file is larger than {max_bytes // 1024} KB"])
    return list(_rows(raw, required, max_rows))


def _rows(raw: bytes, required: set[str], max_rows: int) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise CsvError(
            [f"the file is not UTF-8 text (byte {e.start + 1}); save it as CSV UTF-8"]
        ) from None
    if "\0" in text:  # not text (and PostgreSQL refuses NUL even in a lookup)
        raise CsvError(["the file is not UTF-8 text: it contains NUL characters"])
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey=EXTRA)
    try:
        header = [(h or "").strip().lower() for h in reader.fieldnames or []]
    except csv.Error as e:
        raise CsvError([f"line 1: {e}"]) from None
    missing = required - set(header)
    if missing:
        raise CsvError([f"missing column(s): {', '.join(sorted(missing))}"])
    try:
        for number, row in enumerate(reader, start=2):
            if number - 1 > max_rows:
                raise CsvTooLarge([f"more than {max_rows} lines"])
            yield (
                number,
                {k if k == EXTRA else (k or "").strip().lower(): v or "" for k, v in row.items()},
            )
    except csv.Error as e:
        raise CsvError([f"line {reader.line_num}: {e}"]) from None
