"""CSV and XLSX downloads of any list: the same rows, both formats, with audit by the caller."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook

EXPORT_FORMATS = ("csv", "xlsx")


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return (
            timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
            if timezone.is_aware(value)
            else value
        )
    if isinstance(value, date):
        return value.isoformat()
    if value is None:
        return ""
    return value if isinstance(value, int | float) else str(value)


def _safe_text(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text cells (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def export_response(
    *, filename: str, fmt: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse | StreamingHttpResponse:
    """Stream CSV (UTF-8 with BOM so spreadsheets read Cyrillic) or build an XLSX workbook."""
    if fmt == "xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=filename[:31])
        sheet.append([str(h) for h in header])
        for row in rows:
            sheet.append([_safe_text(_cell(v)) for v in row])
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
        return response
    writer = csv.writer(_Echo())

    def stream() -> Iterable[str]:
        yield "\ufeff"
        yield writer.writerow([str(h) for h in header])
        for row in rows:
            yield writer.writerow([_safe_text(_cell(v)) for v in row])

    streaming = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    streaming["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return streaming
