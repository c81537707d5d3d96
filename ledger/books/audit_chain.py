"""The audit log's hash chain: each event's hash covers its content and the hash before it,
as the journal's do (``ledger.books.hashing``), so an audit row changed or removed behind
the triggers breaks the chain, and the chain's head is in every signed tree head.

    content = JSON of {"v": 1, "sequence", "at", "actor", "action", "object_type",
              "object_id", "details"}, keys sorted at every level, no spaces, UTF-8;
              "at" is UTC as YYYY-MM-DDTHH:MM:SS.ffffffZ, "actor" the user id or null
    hash    = SHA-256 hex of  prev_hash + "\\n" + content; the first prev_hash is 64 zeros
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.db import transaction
from django.utils import timezone

from ledger.books.hashing import GENESIS_HASH, chain_hash, format_recorded_at
from ledger.books.posting import books_lock
from ledger.models import AuditEvent, ChainHead


def audit_content(
    *, sequence: int, at, actor: int | None, action: str, object_type: str, object_id: str,
    details: dict,
) -> bytes:  # fmt: skip
    document = {
        "v": 1,
        "sequence": sequence,
        "at": format_recorded_at(at),
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "details": details,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_content(event: AuditEvent) -> bytes:
    return audit_content(
        sequence=event.sequence,
        at=event.at,
        actor=event.actor_id,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        details=event.details,
    )


def audit_append(actor, object_type: str, object_id, action: str, details: dict) -> AuditEvent:
    """Chain and write one event under the books' lock (the chain head row holds both
    chains' heads), in the caller's transaction or one of its own."""
    with transaction.atomic():
        books_lock()
        head = ChainHead.objects.get(id=1)
        event = AuditEvent(
            at=timezone.now(),
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            details=details,
            sequence=head.audit_sequence + 1,
            prev_hash=head.audit_hash or GENESIS_HASH,
        )
        # What is hashed is what the database gives back, so the details go through JSON.
        event.details = json.loads(json.dumps(details))
        event.hash = chain_hash(event.prev_hash, event_content(event))
        event.save(force_insert=True)
        ChainHead.objects.filter(id=1).update(audit_sequence=event.sequence, audit_hash=event.hash)
    return event


def audit_walk(wanted: set[int]) -> tuple[list[str], dict[int, str]]:
    """The chain recomputed from the rows: (problems, the recomputed hash at each of the
    ``wanted`` sequences). Problems are gaps, broken links, hashes that no longer match
    their content, and a stored head that is not the last row's."""
    computed = {0: GENESIS_HASH}
    problems = list(_audit_problems(wanted, computed))
    return problems, computed


def _audit_problems(wanted: set[int], computed: dict[int, str]) -> Iterator[str]:
    expected, prev = 1, GENESIS_HASH
    rows = AuditEvent.objects.filter(sequence__isnull=False).order_by("sequence")
    for event in rows.iterator(chunk_size=2000):
        if event.sequence != expected:
            yield f"audit event {expected} is missing (found {event.sequence})"
        if event.prev_hash != prev:
            yield f"audit event {event.sequence} does not link to the one before"
        digest = chain_hash(event.prev_hash, event_content(event))
        if digest != event.hash:
            yield f"audit event {event.sequence} ({event.action}) no longer matches its hash"
        if event.sequence in wanted:
            computed[event.sequence] = digest
        prev, expected = digest, event.sequence + 1
    stored = ChainHead.objects.filter(id=1).values_list("audit_sequence", "audit_hash").first()
    if stored and (stored[0], stored[1] or GENESIS_HASH) != (expected - 1, prev):
        yield (
            f"the audit log's stored head (event {stored[0]}) is not its last event "
            f"({expected - 1})"
        )
    if AuditEvent.objects.filter(sequence__isnull=True).exists():
        yield "audit events without a place in the audit chain"
