"""``manage.py financial_statements``: one file per statement, or a clear refusal and no
file at all."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db

NAMES = (
    "trial-balance",
    "financial-position",
    "activities",
    "bail-roll-forward",
    "activity-by-county",
    "activity-by-court",
)


def _run(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("financial_statements", *args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def test_it_writes_one_csv_per_statement(worked_year, tmp_path):
    said = _run("--from", "2025-01-01", "--to", "2025-12-31", "--output", str(tmp_path))

    files = sorted(path.name for path in tmp_path.iterdir())
    assert files == sorted(f"{name}_2025-01-01_2025-12-31.csv" for name in NAMES)
    assert "every check holds" in said
    roll = list(csv.reader((tmp_path / "bail-roll-forward_2025-01-01_2025-12-31.csv").open()))
    assert roll[0] == ["from", "to", "row", "line", "amount (USD)"]
    amounts = [row[-1] for row in roll[1:]]
    assert amounts == ["0.00", "4500.00", "-2850.00", "-150.00", "-500.00", "0.00", "1000.00"]
    assert roll[-1][:3] == ["2025-01-01", "2025-12-31", "total"]


def test_html_files_are_printable_pages_with_their_totals(worked_year, tmp_path):
    _run(
        "--from", "2025-04-01", "--to", "2025-09-30", "--format", "html", "--output", str(tmp_path)
    )

    page = (tmp_path / "activity-by-county_2025-04-01_2025-09-30.html").read_text()
    assert page.startswith("<!doctype html>")
    assert "<caption>Bail activity by county: For the period 2025-04-01 to 2025-09-30" in page
    assert '<th scope="row">Total</th><td class="num">3</td><td class="num">$2,500.00</td>' in page
    assert len(list(tmp_path.iterdir())) == len(NAMES)


def test_pdf_files_too(worked_year, tmp_path):
    _run("--from", "2025-01-01", "--to", "2025-01-31", "--format", "pdf", "--output", str(tmp_path))

    for name in NAMES:
        assert (tmp_path / f"{name}_2025-01-01_2025-01-31.pdf").read_bytes()[:5] == b"%PDF-"


def test_by_default_it_writes_to_the_current_directory(db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    _run("--from", "2026-01-01", "--to", "2026-01-31")

    assert (tmp_path / "trial-balance_2026-01-01_2026-01-31.csv").exists()


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2025-12-31", "2025-01-01", "is after the to date"),
        ("2025-02-30", "2025-12-31", "'2025-02-30' is not a date in the form YYYY-MM-DD"),
        ("31/12/2025", "2025-12-31", "not a date in the form YYYY-MM-DD"),
        ("2025-01-01", "3000-01-01", "between 1900-01-01 and 2999-12-31"),
    ],
)
def test_bad_dates_are_refused_and_nothing_is_written(db, tmp_path, start, end, message):
    target = tmp_path / "out"

    with pytest.raises(CommandError, match=message):
        _run("--from", start, "--to", end, "--output", str(target))

    assert not target.exists()


def test_a_missing_date_or_an_unknown_format_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="--to"):
        _run("--from", "2025-01-01", "--output", str(tmp_path))
    with pytest.raises(CommandError, match="invalid choice"):
        _run("--from", "2025-01-01", "--to", "2025-01-31", "--format", "xlsx")
    assert list(tmp_path.iterdir()) == []


def test_an_output_that_is_a_file_is_refused(db, tmp_path):
    existing = tmp_path / "statements"
    existing.write_text("not a directory")

    with pytest.raises(CommandError, match="is not a directory"):
        _run("--from", "2025-01-01", "--to", "2025-01-31", "--output", str(existing))

    assert existing.read_text() == "not a directory"
