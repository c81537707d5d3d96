"""The public figures: what ``/transparency/``, ``/transparency.json``, the monthly CSV,
the data dictionary and the checkpoint list publish.

Everything about people and bail comes from the published releases (``ledger.public.releases``):
stored, never recomputed, so these documents change only when a release is published or
a checkpoint recorded. Each web process keeps the bytes it serves and looks for a new
release at most every ``TRANSPARENCY_REFRESH_SECONDS``; nothing else is cached. Only the
home page's "raised so far" is live, and it is money in: an amount donors gave, which
moves with gifts, never with anything done for a person the fund helped.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from ledger.books.chart import DONATIONS
from ledger.books.tree_heads import heads_jsonl, signed_heads
from ledger.models import Account, Checkpoint, ReleaseStatus, TransparencyRelease
from ledger.public.release_content import DICTIONARY, MONEY_IN, SUPPRESSED, utc_text
from ledger.public.release_model import MEASURES
from ledger.public.releases import due_on, next_period

RECENT_CHECKPOINTS = 10


def _periods(releases: list[dict], field: str) -> list[dict]:
    """A running total published now and then, as the periods between its publications:
    each period rests on at least the minimum number of people, even where every month in
    it was suppressed."""
    periods, start, last = [], None, 0
    for release in releases:
        start = start or release["release"]
        value = release["people"]["total"][field]
        if value != SUPPRESSED:
            periods.append({"from": start, "to": release["release"], field: value - last})
            start, last = None, value
    return periods


def latest_published(releases: list[dict], *path: str) -> dict | None:
    """The newest release in which the figure at ``path`` (``"people", "total",
    "bail_paid"``) was published, with its value; None if it never was."""
    for release in reversed(releases):
        value = release
        for step in path:
            value = value[step]
        if value != SUPPRESSED:
            return {"release": release["release"], "value": value}
    return None


def document() -> dict:
    """``/transparency.json``: every published release, oldest first, with its hash."""
    releases = []
    for content, digest in TransparencyRelease.objects.filter(
        status=ReleaseStatus.PUBLISHED
    ).values_list("content", "content_hash"):
        releases.append({**content, "hash": digest})
    upcoming = next_period()
    return {
        "fund": settings.FUND_NAME,
        "currency": settings.FUND_CURRENCY,
        "latest_release": releases[-1]["release"] if releases else None,
        "next_release": {"release": upcoming, "due": due_on(upcoming).isoformat()}
        if upcoming
        else None,
        "releases": releases,
        "bail_paid_by_period": _periods(releases, "bail_paid"),
        "bail_returned_by_period": _periods(releases, "bail_returned"),
        "data_dictionary_url": "/transparency/data-dictionary.csv",
        "checkpoints_url": "/transparency/checkpoints.json",
    }


def _unit(currency: str) -> str:
    return f"{currency}_minor_units"


def monthly_csv(doc: dict) -> bytes:
    """One line per released month and one per correction; units in the headers."""
    unit = _unit(doc["currency"])
    money = [f for f in MONEY_IN if f != "donations_count"]
    header = ["release", "line", *(f"{f}_{unit}" for f in money), "donations_count_gifts"]
    header += [f"{f}_{unit}" for f in MEASURES]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for release in doc["releases"]:
        for line in ("month", "correction"):
            money_in, people = release["money_in"][line], release["people"][line]
            writer.writerow(
                [
                    release["release"],
                    line,
                    *(money_in[f] for f in money),
                    money_in["donations_count"],
                    *(people[f] for f in MEASURES),
                ]
            )
    return out.getvalue().encode()


def dictionary_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["field", "unit", "meaning", "suppression"])
    writer.writerows(DICTIONARY)
    return out.getvalue().encode()


def checkpoints_document() -> dict:
    rows = Checkpoint.objects.order_by("-sequence", "-created_at").values_list(
        "sequence", "hash", "created_at", "release_hash"
    )
    checkpoints = [
        {"sequence": s, "hash": h, "created_at": utc_text(at), "release_hash": r or None}
        for s, h, at, r in rows
    ]
    return {
        "fund": settings.FUND_NAME,
        "checkpoints": checkpoints,
        "verify": (
            "Get the journal export (manage.py export_ledger --format csv) and run "
            "python verify_export.py journal.csv --published checkpoints.json"
        ),
    }


def live_raised() -> int:
    """Gifts received so far, before fees: the one live public figure (money in)."""
    balance = Account.objects.filter(code=DONATIONS).values_list("balance", flat=True)
    return -(balance.first() or 0)


# Serving ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    """Bytes ready to send, compressed once as well (as WhiteNoise keeps static files),
    and their validator."""

    etag: str
    body: bytes
    gzipped: bytes

    def for_request(self, request) -> tuple[bytes, str, bool]:
        """(body, ETag, whether gzip-encoded) for what the client accepts."""
        if "gzip" in request.headers.get("Accept-Encoding", "") and len(self.body) > 1024:
            return self.gzipped, self.etag[:-1] + '-gzip"', True
        return self.body, self.etag, False


def _served(body: bytes) -> Served:
    return Served(
        etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"',
        body=body,
        gzipped=gzip.compress(body, compresslevel=6, mtime=0),
    )


def _dump(value: dict) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


class _Kept:
    """What this process serves, rebuilt at most every TRANSPARENCY_REFRESH_SECONDS (0:
    on every request). Releases change once a month, so a process that serves a minute-old
    copy serves the current one nearly always, and a request touches no database. Kept
    because without it the open data and the page miss their target (docs/benchmarks.md,
    "Shortcuts kept"); tests/ledger/public/test_serving.py compares it with a fresh build."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._built_at = -float("inf")
        self._items: dict[str, object] = {}

    def forget(self) -> None:
        with self._lock:
            self._built_at = -float("inf")
            self._items = {}

    def get(self, kind: str, build: Callable[[], object]):
        now = time.monotonic()
        with self._lock:
            if now - self._built_at >= settings.TRANSPARENCY_REFRESH_SECONDS:
                self._items, self._built_at = {}, now
            items = self._items
        if kind not in items:
            items[kind] = build()
        return items[kind]


_kept = _Kept()


def forget() -> None:
    """Serve fresh documents at the next request in this process (after the donor wall
    changes; tests). Other processes take a new release within the refresh interval."""
    _kept.forget()


def public_document() -> dict:
    return _kept.get("document", document)


def open_data(kind: str) -> Served:
    """``json``, ``csv``, ``dictionary``, ``checkpoints`` or ``tree-heads``: bytes and
    their ETag."""
    builders = {
        "json": lambda: _served(_dump(public_document())),
        "csv": lambda: _served(monthly_csv(public_document())),
        "dictionary": lambda: _served(dictionary_csv()),
        "checkpoints": lambda: _served(_dump(checkpoints_document())),
        "tree-heads": lambda: _served(heads_jsonl(signed_heads()).encode()),
    }
    return _kept.get(kind, builders[kind])


def page(language: str, render: Callable[[dict], str]) -> Served:
    """The transparency page in ``language``, rendered once per refresh and kept encoded."""
    return _kept.get(f"page:{language}", lambda: _served(render(public_document()).encode()))
