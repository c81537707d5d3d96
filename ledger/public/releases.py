"""Public releases: the figures about people and bail, published once per closed month.

A month is released ``TRANSPARENCY_RELEASE_LAG_DAYS`` after it ends (the beat task
``publish_transparency_releases`` and ``manage.py publish_releases``), months in order.
A release is computed once from the books and the fund's disbursement records as they
are then, stored, and never recomputed; what was recorded later for a month already
released shows in the next release as its ``correction`` line.

How a release is chosen (docs/open-data.md, "Privacy rules"):

1. **Primary suppression.** Each figure is checked by the rules in ``ledger.public.privacy``:
   the people behind it, and, for a running total, the people behind its change since
   the last release that published that same figure. An unsafe figure is "suppressed".
2. **Complementary suppression, across every release.** The disclosure audit
   (``ledger.public.disclosure``, over the model of ``ledger.public.release_model``) bounds
   each unsafe figure of every release ever made, this one included, by linear programming.
   While one is bounded too tightly, the smallest figure of this release that bears on it is
   suppressed as well, and the audit goes on from there.
3. **The audit is the gate.** The chosen release is audited once more, whole, with every
   earlier release. One that fails is stored as held, with the reason, and not published;
   later months wait behind it.

A published release's content hash covers the previous release's hash, and a checkpoint of
the books made in the same transaction records it, so a release cannot be replaced unseen.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ledger.books.fund_time import fund_today
from ledger.books.posting import audit_record
from ledger.books.tree_heads import checkpoint_create
from ledger.casework.correction_records import standing
from ledger.exceptions import LedgerError
from ledger.models import (
    Disbursement,
    DisbursementOutcome,
    DisbursementPurpose,
    MonthlyTotal,
    ReleaseStatus,
    TransparencyRelease,
)
from ledger.public import privacy, release_content
from ledger.public.disclosure import AuditError, Finding, findings
from ledger.public.release_content import month_bounds
from ledger.public.release_model import ALL, MEASURES, History, Program, requirements

# The most extra suppressions one release may need before it is held instead.
MAX_COMPLEMENTARY = 200


class ReleaseNotDue(LedgerError):
    """A month is released only after it has ended and the lag has passed, and only after
    every month before it."""


@dataclass
class Candidate:
    period: str
    content: dict
    truth: dict
    findings: list[Finding]
    error: str = ""
    audited: bool = False  # the whole audit already ran on exactly this content


def _next(period: str) -> str:
    end = month_bounds(period)[1] + dt.timedelta(days=1)
    return f"{end:%Y-%m}"


def _published() -> list[TransparencyRelease]:
    return list(TransparencyRelease.objects.filter(status=ReleaseStatus.PUBLISHED))


def _first_period() -> str | None:
    months = [
        MonthlyTotal.objects.order_by("month").values_list("month", flat=True).first(),
        Disbursement.objects.exclude(paid_on=None)
        .order_by("paid_on")
        .values_list("paid_on", flat=True)
        .first(),
    ]
    known = [month for month in months if month is not None]
    return f"{min(known):%Y-%m}" if known else None


def next_period() -> str | None:
    """The month the next release covers, or None before anything is in the books."""
    last = TransparencyRelease.objects.filter(status=ReleaseStatus.PUBLISHED).last()
    return _next(last.period) if last else _first_period()


def due_on(period: str) -> dt.date:
    return month_bounds(period)[1] + dt.timedelta(days=settings.TRANSPARENCY_RELEASE_LAG_DAYS)


def snapshot(period: str) -> dict:
    """Each person helped by the end of ``period``: county, kind of help, and the amounts
    of :data:`MEASURES` received in the month and in all, under the case's opaque id."""
    start, end = month_bounds(period)
    persons: dict[str, dict] = {}
    spellings: dict[str, Counter] = defaultdict(Counter)

    def person(case_id: int, county: str, bail_type: str) -> dict:
        key, label = privacy.county_key(county)
        spellings[key][label] += 1
        return persons.setdefault(
            str(case_id), {"c": key, "b": bail_type, "cum": [0] * 5, "month": [0] * 5}
        )

    def add(entry: dict, index: int, amount: int, on: dt.date) -> None:
        entry["cum"][index] += amount
        if on >= start:
            entry["month"][index] += amount

    paid = Disbursement.objects.filter(paid_on__isnull=False, paid_on__lte=end).values_list(
        "case_id", "case__county", "case__bail_type", "purpose", "amount", "paid_on"
    )
    for case_id, county, bail_type, purpose, amount, paid_on in paid:
        index = 0 if purpose == DisbursementPurpose.BAIL else 4
        add(person(case_id, county, bail_type), index, amount, paid_on)
    outcomes = standing(DisbursementOutcome.objects.filter(occurred_on__lte=end)).values_list(
        "disbursement__case_id",
        "disbursement__case__county",
        "disbursement__case__bail_type",
        "occurred_on",
        "returned_amount",
        "court_fees",
        "forfeited_amount",
    )
    for case_id, county, bail_type, occurred_on, returned, fees, forfeited in outcomes:
        entry = person(case_id, county, bail_type)
        for index, amount in ((1, returned), (2, fees), (3, forfeited)):
            add(entry, index, amount, occurred_on)
    labels = {
        key: max(counts.items(), key=lambda item: (item[1], item[0]))[0]
        for key, counts in spellings.items()
    }
    return {"period": period, "persons": persons, "labels": labels, "cells": []}


# The figures a release publishes about people ------------------------------------------------


def _cell(cell_id, scope, selector, measure, *, kind="total", label="", key="") -> dict:
    return {
        "id": cell_id,
        "scope": scope,
        "selector": [selector[0], list(selector[1])],
        "measure": measure,
        "table": kind,
        "label": label,
        "key": key,
    }


def _cells(truth: dict) -> list[dict]:
    """Every figure about people a release for this truth would publish, before rules."""
    cells = [_cell(f"month.{m}", "month", ALL, m, kind="month") for m in MEASURES]
    cells += [_cell(f"correction.{m}", "correction", ALL, m, kind="correction") for m in MEASURES]
    for measure in (*MEASURES, "bail_outstanding", "kept_by_courts", "people", "net_paid_out"):
        cells.append(_cell(f"total.{measure}", "cumulative", ALL, measure))
    per_county = Counter(p["c"] for p in truth["persons"].values())
    named, folded = privacy.fold_counties(per_county)
    groups = [([key], truth["labels"][key], key) for key in named]
    if folded:
        groups.append((folded, release_content.OTHER_COUNTIES, privacy.OTHER_KEY))
    breakdown_measures = ("people", "bail_paid", "direct_support", "bail_outstanding")
    for members, label, key in groups:
        for measure in breakdown_measures:
            cell_id = f"county.{'+'.join(members)}.{measure}"
            selector = ("county", tuple(members))
            cells.append(
                _cell(cell_id, "cumulative", selector, measure, kind="county", label=label, key=key)
            )
    for bail_type in sorted({p["b"] for p in truth["persons"].values()}):
        for measure in breakdown_measures:
            cells.append(
                _cell(
                    f"bail_type.{bail_type}.{measure}",
                    "cumulative",
                    ("bail_type", (bail_type,)),
                    measure,
                    kind="bail_type",
                    label=bail_type,
                    key=bail_type,
                )
            )
    return cells


def _selector(cell: dict) -> tuple:
    return cell["selector"][0], tuple(cell["selector"][1])


def _primary(history: History, previous: list[dict], cells: list[dict]) -> None:
    """Rule 1: mark each cell with its value and whether the rules let it be published."""
    release = len(history) - 1
    for cell in cells:
        scope, selector, measure = cell["scope"], _selector(cell), cell["measure"]
        parts = history.contributions(release, scope, selector, measure)
        cell["value"] = sum(parts)
        if measure == "people":
            why = privacy.unsafe_count(sum(parts))
        else:
            # Even a zero speaks for everyone in a small group ("none of the two people in
            # Other counties still has bail held"), so a small group's figures are hidden.
            group = len(history.contributions(release, "cumulative", selector, "people"))
            why = privacy.unsafe_count(group) or privacy.unsafe_amount(parts)
        if why is None and scope == "cumulative":
            last = next(
                (
                    position
                    for position in range(len(previous) - 1, -1, -1)
                    for earlier in previous[position]["cells"]
                    if earlier["id"] == cell["id"] and earlier["published"]
                ),
                None,
            )
            if last is not None:
                change = history.contributions(release, scope, selector, measure, since=last)
                if measure == "people":
                    why = privacy.unsafe_count(len(change))
                else:
                    why = privacy.unsafe_amount(change)
                why = why and f"its change since {previous[last]['period']}: {why}"
        cell["published"] = why is None
        cell["why"] = why or ""


def _program(history: History) -> tuple[Program, dict[str, int]]:
    """The attacker's program with every published figure of the history, and the model
    key of each published figure of the newest release (by cell id)."""
    program = Program(history)
    newest: dict[str, int] = {}
    for release, truth in enumerate(history.truths):
        for cell in truth["cells"]:
            if cell["published"]:
                key = program.publish(
                    release, cell["scope"], _selector(cell), cell["measure"], cell["value"]
                )
                if release == len(history) - 1:
                    newest[cell["id"]] = key
    return program, newest


def audit(truths: list[dict]) -> list[Finding]:
    """Every unsafe figure of these releases that their published figures pin down: what
    an attacker who keeps every release could learn that the rules forbid. Empty is safe."""
    history = History(truths)
    program, _ = _program(history)
    return [
        finding
        for _, finding in findings(
            program.model,
            requirements(history, program),
            margin=privacy.protection(),
            minimum=privacy.min_cell(),
        )
    ]


def _complementary(history: History) -> list[Finding]:
    """Rule 2: suppress more of the newest release until the audit passes; what still
    fails when nothing more can be suppressed."""
    newest = history.truths[-1]["cells"]
    start = 0
    program, keys = _program(history)
    wanted = requirements(history, program)
    for _ in range(MAX_COMPLEMENTARY):
        failure = next(
            findings(
                program.model,
                wanted,
                margin=privacy.protection(),
                minimum=privacy.min_cell(),
                start=start,
            ),
            None,
        )
        if failure is None:
            return []
        start, finding = failure
        # Suppress the smallest figure that bears on it directly, else the smallest other
        # one: bounds also travel through what is always true (bail held is not negative).
        touched = set(wanted[start].terms)
        release = len(history) - 1

        def cost(cell: dict, touched=touched, release=release) -> tuple:
            form = program.form(release, cell["scope"], _selector(cell), cell["measure"])
            return (not touched & set(form), cell["value"] == 0, abs(cell["value"]), cell["id"])

        candidates = [cell for cell in newest if cell["published"]]
        if not candidates:
            return [finding]
        chosen = min(candidates, key=cost)
        chosen["published"] = False
        chosen["why"] = f"complementary: protects {finding.label}"
        program.model.relax(keys.pop(chosen["id"]))
    return [finding]


def release_choose(previous: list[dict], truth: dict, *, complementary: bool = True):
    """Decide which figures of ``truth`` (a :func:`snapshot`) are published after the
    truths of the releases before it: rules 1 and, with ``complementary``, 2. Fills
    ``truth["cells"]``; returns the audit findings still open (empty when safe)."""
    truth["cells"] = _cells(truth)
    history = History([*previous, truth])
    _primary(history, previous, truth["cells"])
    return _complementary(history) if complementary else []


def release_build(period: str, *, complementary: bool = True) -> Candidate:
    """The release of ``period`` as it would be published now (nothing is stored)."""
    expected = next_period()
    if period != expected:
        raise ReleaseNotDue(f"the next release is {expected}, not {period}")
    if month_bounds(period)[1] >= fund_today():
        raise ReleaseNotDue(f"{period} has not ended yet")
    published = _published()
    truth = snapshot(period)
    error = ""
    try:
        failures = release_choose(
            [release.truth for release in published], truth, complementary=complementary
        )
    except AuditError as exc:
        failures, error = [], str(exc)
    content = release_content.build(period, truth["cells"], published[-1] if published else None)
    return Candidate(period, content, truth, failures, error, audited=complementary)


def content_hash(content: dict) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def release_publish(candidate: Candidate, *, actor=None) -> TransparencyRelease:
    """Store the release: published with a checkpoint when the whole audit passes, else
    held with the reason (rule 3). The audit is run here again, whatever built it."""
    if not candidate.audited and not candidate.error:
        try:
            previous = [release.truth for release in _published()]
            candidate.findings = audit([*previous, candidate.truth])
        except AuditError as exc:
            candidate.error = str(exc)
    reason = candidate.error or "; ".join(f.describe() for f in candidate.findings[:20])
    digest = content_hash(candidate.content)
    with transaction.atomic():
        release = TransparencyRelease.objects.create(
            period=candidate.period,
            status=ReleaseStatus.HELD if reason else ReleaseStatus.PUBLISHED,
            created_at=timezone.now(),
            content=candidate.content,
            content_hash=digest,
            truth=candidate.truth,
            held_reason=reason,
            checkpoint=None if reason else checkpoint_create(release_hash=digest),
        )
        action = "release.held" if reason else "release.published"
        details = {"content_hash": digest, "findings": len(candidate.findings)}
        audit_record(actor, "release", release.period, action, details)
    return release


def releases_publish_due(*, today: dt.date | None = None, actor=None) -> list[TransparencyRelease]:
    """Release every month that is due, in order; stop at the first one held."""
    today = today or fund_today()
    made = []
    period = next_period()
    while period is not None and due_on(period) <= today:
        release = release_publish(release_build(period), actor=actor)
        made.append(release)
        if release.status != ReleaseStatus.PUBLISHED:
            break
        period = _next(period)
    return made
