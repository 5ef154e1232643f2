"""The audit log's hash chain: sealing and verification.

Writers never wait for the chain. `audit_record` inserts an event as before; a separate sealer
(`audit_seal_run`, run by `manage.py audit_seal`, the daily job and the `audit_seal_task` background
task) links the events that are not sealed yet, in id order, into `AuditSeal` rows:

    hash(n) = SHA-256( "n" | hash(n-1) | canonical(event) )      hash(0) = 64 zeros

Why this never skips an event, although PostgreSQL ids can commit out of order: ids come from a
sequence when the row is *inserted*, so a transaction holding id 100 can commit after the one holding
id 101. A sealer that picked "ids above the last sealed id" would seal 101 and then never look at 100
again. This sealer instead picks "every event that has no seal yet" (an anti-join on the seal table's
unique `event_id` index), so an event that commits late is simply sealed by the next run, at the end
of the chain. The chain's order is therefore the order of sealing (`seq`), which is id order except
for such late commits; the event id is inside every hash, so reordering is still detected.
On top of that the sealer leaves alone the events recorded in the last `SETTLE_SECONDS`, so the
transactions still in flight (short, durable use-case transactions) normally commit first and the
chain stays in id order. To keep a frequent run cheap on a large log, it only looks above
`scan_floor` (ids sealed more than an hour ago); the daily job's run looks at everything.

Only one sealer may extend the chain at a time, or two would both link to the same tail and fork it:
on PostgreSQL the sealer takes a transaction-scoped advisory lock; on SQLite the write transaction
(`BEGIN IMMEDIATE`, see settings) already excludes every other writer. The seal table is append-only
(model, and on PostgreSQL a trigger, migration 0012).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from muqeem.audit.models import GENESIS_HASH, AuditEvent, AuditSeal

logger = logging.getLogger(__name__)

SETTLE_SECONDS = 5
BATCH_SIZE = 2_000
# No use-case transaction stays open this long (they are short and durable; the database's
# idle-in-transaction and statement timeouts end any that would). A frequent run only scans the
# events above the ids sealed this long ago; the daily run (`full=True`) scans everything.
LOOKBACK = timedelta(hours=1)
# Any constant shared by every sealer: the key of the PostgreSQL advisory lock ("MQAUDIT" in hex-ish).
ADVISORY_LOCK_KEY = 0x4D51_4155_4449_54


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def event_canonical(event: AuditEvent) -> str:
    """Every stored field of the event, as one deterministic string (sorted keys, ASCII, no spaces),
    identical on SQLite and PostgreSQL and after a dump and restore."""
    data: dict[str, Any] = {
        "id": event.pk,
        "occurred_at": _iso(event.occurred_at),
        "event_type": int(event.event_type),
        "actor_user": event.actor_user_id,
        "actor_establishment": event.actor_establishment_id,
        "resident": event.resident_id,
        "service_request": event.service_request_id,
        "extra_data": event.extra_data,
        "request_id": event.request_id,
        "ip": str(event.ip) if event.ip else None,
    }
    return json.dumps(data, sort_keys=True, ensure_ascii=True, separators=(",", ":"), default=str)


def link_hash(*, seq: int, prev_hash: str, canonical: str) -> str:
    return hashlib.sha256(f"{seq}|{prev_hash}|{canonical}".encode()).hexdigest()


@dataclass(frozen=True)
class SealResult:
    sealed: int
    head_seq: int
    head_hash: str
    pending: int


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])


def scan_floor(*, now: datetime) -> int:
    """Every event with an id at or below the result is sealed or can no longer appear.

    Take a seal written more than LOOKBACK ago: any event with a lower id was inserted before that
    seal was written (ids grow), so its transaction began more than LOOKBACK ago and has ended. The
    runs of the hour after it committed scanned above an older floor and sealed it; if the sealer was
    stopped all that time, the daily full run seals it (and `audit_verify` counts it meanwhile).
    Scanning above this floor keeps a frequent run's cost proportional to the last hour, not to the
    whole log."""
    old = AuditSeal.objects.filter(sealed_at__lte=now - LOOKBACK).order_by("-seq").first()
    return old.event_id if old else 0


def _seal_batch(*, cutoff: datetime, batch_size: int, floor: int) -> int:
    """Seal up to `batch_size` unsealed events recorded before `cutoff` with an id above `floor`; the
    caller's transaction holds the chain lock."""
    tail = AuditSeal.objects.order_by("-seq").only("seq", "hash").first()
    seq, prev = (tail.seq, tail.hash) if tail else (0, GENESIS_HASH)
    events = list(
        AuditEvent.objects.filter(
            seal__isnull=True, occurred_at__lte=cutoff, id__gt=floor
        ).order_by("id")[:batch_size]
    )
    now = timezone.now()
    seals = []
    for event in events:
        seq += 1
        digest = link_hash(seq=seq, prev_hash=prev, canonical=event_canonical(event))
        seals.append(AuditSeal(seq=seq, event=event, prev_hash=prev, hash=digest, sealed_at=now))
        prev = digest
    AuditSeal.objects.bulk_create(seals)
    return len(seals)


def audit_seal_run(
    *, settle_seconds: int = SETTLE_SECONDS, batch_size: int = BATCH_SIZE, full: bool = False
) -> SealResult:
    """Extend the chain with every committed event older than `settle_seconds`. Idempotent: a second
    run seals nothing new. Each batch is its own short transaction, so the lock is held briefly.
    `full` scans the whole log instead of the events above `scan_floor` (the daily job does)."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settle_seconds)
    floor = 0 if full else scan_floor(now=now)
    sealed = 0
    while True:
        with transaction.atomic():
            _lock_chain()
            count = _seal_batch(cutoff=cutoff, batch_size=batch_size, floor=floor)
        sealed += count
        if count < batch_size:
            break
    head = AuditSeal.objects.order_by("-seq").only("seq", "hash").first()
    result = SealResult(
        sealed=sealed,
        head_seq=head.seq if head else 0,
        head_hash=head.hash if head else GENESIS_HASH,
        pending=AuditEvent.objects.filter(seal__isnull=True, id__gt=floor).count(),
    )
    if sealed:
        # The head in the application log is an anchor outside the database: a rewritten chain
        # (after the triggers were bypassed) no longer matches it (`audit_verify --expect-head`).
        logger.info("audit chain head seq=%s hash=%s", result.head_seq, result.head_hash)
    return result


# --- Verification --------------------------------------------------------------------------------


@dataclass
class BrokenLink:
    seq: int
    event_id: int | None
    problem: str
    expected: str = ""
    found: str = ""


@dataclass
class VerifyResult:
    ok: bool
    links: int
    head_seq: int
    head_hash: str
    unsealed: int
    broken: BrokenLink | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _seals_with_events(chunk: int) -> Iterator[tuple[AuditSeal, AuditEvent | None]]:
    """Seals in seq order with their events, read in keyset pages (constant memory)."""
    last = 0
    while True:
        page = list(AuditSeal.objects.filter(seq__gt=last).order_by("seq")[:chunk])
        if not page:
            return
        events = AuditEvent.objects.in_bulk([s.event_id for s in page])
        for seal in page:
            yield seal, events.get(seal.event_id)
        last = page[-1].seq


def audit_verify_run(
    *, expect_head: tuple[int, str] | None = None, chunk: int = 5_000
) -> VerifyResult:
    """Recompute the whole chain and stop at the first link that does not hold."""
    expected_seq, prev = 0, GENESIS_HASH
    head_seq, head_hash = 0, GENESIS_HASH
    anchor_seen = expect_head is None

    def broken(link: BrokenLink) -> VerifyResult:
        return VerifyResult(
            ok=False,
            links=expected_seq - 1,
            head_seq=head_seq,
            head_hash=head_hash,
            unsealed=AuditEvent.objects.filter(seal__isnull=True).count(),
            broken=link,
        )

    for seal, event in _seals_with_events(chunk):
        expected_seq += 1
        if seal.seq != expected_seq:
            return broken(
                BrokenLink(
                    seal.seq,
                    seal.event_id,
                    "sequence gap: a link is missing",
                    expected=str(expected_seq),
                    found=str(seal.seq),
                )
            )
        if seal.prev_hash != prev:
            return broken(
                BrokenLink(
                    seal.seq,
                    seal.event_id,
                    "prev_hash does not match the previous link's hash",
                    expected=prev,
                    found=seal.prev_hash,
                )
            )
        if event is None:
            return broken(BrokenLink(seal.seq, seal.event_id, "the sealed audit event is missing"))
        digest = link_hash(seq=seal.seq, prev_hash=prev, canonical=event_canonical(event))
        if digest != seal.hash:
            return broken(
                BrokenLink(
                    seal.seq,
                    seal.event_id,
                    "the audit event's content differs from what was sealed",
                    expected=seal.hash,
                    found=digest,
                )
            )
        if expect_head is not None and seal.seq == expect_head[0]:
            if seal.hash != expect_head[1]:
                return broken(
                    BrokenLink(
                        seal.seq,
                        seal.event_id,
                        "the chain differs from the recorded anchor",
                        expected=expect_head[1],
                        found=seal.hash,
                    )
                )
            anchor_seen = True
        prev = seal.hash
        head_seq, head_hash = seal.seq, seal.hash
    if not anchor_seen and expect_head is not None:
        expected_seq += 1
        return broken(
            BrokenLink(
                expect_head[0],
                None,
                "the chain is shorter than the recorded anchor: links were removed",
                expected=expect_head[1],
            )
        )
    return VerifyResult(
        ok=True,
        links=head_seq,
        head_seq=head_seq,
        head_hash=head_hash,
        unsealed=AuditEvent.objects.filter(seal__isnull=True).count(),
    )
