"""The audit log's hash chain: sealing links every committed event once, in order, and verification
finds the first link that no longer holds."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from muqeem.audit.chain import (
    audit_seal_run,
    audit_verify_run,
    event_canonical,
    link_hash,
    scan_floor,
)
from muqeem.audit.models import GENESIS_HASH, AuditEvent, AuditEventType, AuditSeal
from muqeem.audit.services import audit_record

pytestmark = pytest.mark.django_db


def record(n: int, actor=None) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    return [
        audit_record(event_type=AuditEventType.LOGIN, actor=actor, extra={"n": i, "note": "دخول"})
        for i in range(n)
    ]


def tamper(sql: str, params: list | None = None) -> None:
    """Run raw SQL as an attacker able to bypass the database's append-only triggers would (on
    PostgreSQL: a superuser session in replica mode, which fires no triggers)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params or [])


def chain() -> list[tuple[int, int]]:
    return list(AuditSeal.objects.order_by("seq").values_list("seq", "event_id"))


def test_sealing_links_every_event_once_in_id_order_and_is_idempotent(hr_officer):
    before = AuditEvent.objects.count()  # the fixtures' own events (funding) are sealed too
    events = record(5, hr_officer)
    first = audit_seal_run(settle_seconds=0)
    assert first.sealed == before + 5
    assert first.pending == 0
    second = audit_seal_run(settle_seconds=0)
    assert second.sealed == 0
    assert (second.head_seq, second.head_hash) == (first.head_seq, first.head_hash)
    links = chain()
    assert [seq for seq, _ in links] == list(range(1, before + 6))
    assert [event_id for _, event_id in links][-5:] == [e.pk for e in events]
    assert sorted(e for _, e in links) == [e for _, e in links]
    verified = audit_verify_run()
    assert verified.ok and verified.links == before + 5 and verified.unsealed == 0


def test_each_link_hashes_its_sequence_the_previous_hash_and_the_event():
    (event,) = record(1)
    audit_seal_run(settle_seconds=0)
    seal = AuditSeal.objects.get(event=event)
    assert seal.seq == 1 and seal.prev_hash == GENESIS_HASH
    assert seal.hash == link_hash(seq=1, prev_hash=GENESIS_HASH, canonical=event_canonical(event))
    # A new batch continues from the head.
    (later,) = record(1)
    audit_seal_run(settle_seconds=0)
    assert AuditSeal.objects.get(event=later).prev_hash == seal.hash


def test_events_younger_than_the_settle_window_wait_for_the_next_run():
    record(2)
    assert audit_seal_run(settle_seconds=60).sealed == 0
    assert audit_seal_run(settle_seconds=60).pending == 2
    assert audit_seal_run(settle_seconds=0).sealed == 2


def test_an_event_committed_late_with_a_lower_id_is_sealed_not_skipped():
    """PostgreSQL hands out ids at insert, so id 101 can commit before id 100: the sealer must pick
    every unsealed event, not the ids above the head."""
    (low,) = record(1)
    # Leave a hole at low.pk + 1, as an in-flight transaction would.
    high = AuditEvent.objects.bulk_create(
        [AuditEvent(id=low.pk + 2, occurred_at=timezone.now(), event_type=AuditEventType.LOGOUT)]
    )[0]
    audit_seal_run(settle_seconds=0)
    assert [e for _, e in chain()] == [low.pk, high.pk]
    # The in-flight transaction commits now.
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                id=low.pk + 1,
                occurred_at=timezone.now() - timedelta(seconds=30),
                event_type=AuditEventType.LOGIN_FAILED,
            )
        ]
    )
    assert audit_seal_run(settle_seconds=0).sealed == 1
    assert [e for _, e in chain()] == [low.pk, high.pk, low.pk + 1]
    assert audit_verify_run().ok


def test_a_frequent_run_scans_the_last_hour_and_the_daily_run_everything():
    start = timezone.now()

    def commit(pk: int) -> None:
        AuditEvent.objects.bulk_create(
            [AuditEvent(id=pk, occurred_at=start, event_type=AuditEventType.LOGIN)]
        )

    with time_machine.travel(start, tick=False):
        (base,) = record(1)
        commit(base.pk + 10)  # ids base+1 … base+9 are still in flight
        audit_seal_run(settle_seconds=0)
    # Within the hour, a late commit below the head is still found by a frequent run.
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        commit(base.pk + 5)
        assert scan_floor(now=timezone.now()) == 0
        assert audit_seal_run().sealed == 1
    # One that appears below ids sealed over an hour ago (impossibly late, or the sealer was stopped
    # the whole time) is left to the daily full run, and counted as unsealed meanwhile.
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        commit(base.pk + 3)
        assert scan_floor(now=timezone.now()) == base.pk + 5
        assert audit_seal_run().sealed == 0
        assert audit_verify_run().unsealed == 1
        assert audit_seal_run(full=True).sealed == 1
        verified = audit_verify_run()
        assert verified.ok and verified.unsealed == 0


TAMPERING = [
    ("extra_data", "UPDATE audit_auditevent SET extra_data = '{\"n\": 99}' WHERE id = %s"),
    ("event_type", "UPDATE audit_auditevent SET event_type = 103 WHERE id = %s"),
    ("actor", "UPDATE audit_auditevent SET actor_user_id = NULL WHERE id = %s"),
    ("time", "UPDATE audit_auditevent SET occurred_at = '2020-01-01 00:00:00' WHERE id = %s"),
]


@pytest.mark.parametrize(("what", "sql"), TAMPERING, ids=[t[0] for t in TAMPERING])
def test_tampering_with_an_event_is_reported_at_its_link(hr_officer, what, sql):
    events = record(6, hr_officer)
    audit_seal_run(settle_seconds=0)
    target = events[3]
    seq = AuditSeal.objects.get(event=target).seq
    tamper(sql, [target.pk])
    result = audit_verify_run()
    assert not result.ok
    assert result.broken is not None
    assert (result.broken.seq, result.broken.event_id) == (seq, target.pk)
    assert "content differs" in result.broken.problem
    assert result.links == seq - 1


def test_a_rewritten_link_is_reported():
    record(4)
    audit_seal_run(settle_seconds=0)
    tamper("UPDATE audit_auditseal SET prev_hash = %s WHERE seq = 3", ["f" * 64])
    result = audit_verify_run()
    assert result.broken is not None and result.broken.seq == 3
    assert "prev_hash" in result.broken.problem


def test_a_removed_link_is_a_sequence_gap():
    record(4)
    audit_seal_run(settle_seconds=0)
    tamper("DELETE FROM audit_auditseal WHERE seq = 2")
    result = audit_verify_run()
    assert result.broken is not None and result.broken.seq == 3
    assert "gap" in result.broken.problem


def test_a_chain_recomputed_after_tampering_does_not_match_the_recorded_anchor():
    events = record(3)
    head = audit_seal_run(settle_seconds=0)
    assert audit_verify_run(expect_head=(head.head_seq, head.head_hash)).ok
    # Someone able to bypass the database's protections rewrites an event and rebuilds the chain.
    tamper("UPDATE audit_auditevent SET extra_data = '{}' WHERE id = %s", [events[0].pk])
    tamper("DELETE FROM audit_auditseal")
    audit_seal_run(settle_seconds=0)
    assert audit_verify_run().ok  # internally consistent again...
    result = audit_verify_run(expect_head=(head.head_seq, head.head_hash))
    assert not result.ok  # ...but not the chain the anchor recorded
    assert result.broken is not None and "anchor" in result.broken.problem
    # An anchor beyond the head means links were cut off the end.
    short = audit_verify_run(expect_head=(head.head_seq + 5, head.head_hash))
    assert short.broken is not None and "shorter" in short.broken.problem


def test_seals_are_append_only_in_the_application():
    record(1)
    audit_seal_run(settle_seconds=0)
    seal = AuditSeal.objects.get()
    with pytest.raises(RuntimeError):
        seal.save()
    with pytest.raises(RuntimeError):
        seal.delete()


def test_the_commands_print_ok_or_the_first_broken_link_and_fail(capsys):
    events = record(3)
    call_command("audit_seal", "--settle-seconds", "0")
    assert "sealed 3 event(s)" in capsys.readouterr().out
    call_command("audit_verify")
    assert capsys.readouterr().out.startswith("OK: 3 link(s) verified")
    tamper("UPDATE audit_auditevent SET request_id = 'x' WHERE id = %s", [events[1].pk])
    with pytest.raises(CommandError) as failure:
        call_command("audit_verify")
    assert failure.value.returncode == 1
    out = capsys.readouterr().out
    assert f"BROKEN at seq=2 event={events[1].pk}" in out
    assert "1 link(s) before it verified" in out


# --- PostgreSQL -----------------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgresql_refuses_update_and_delete_of_seals(hr_officer):
    record(2, hr_officer)
    audit_seal_run(settle_seconds=0)
    seal = AuditSeal.objects.order_by("seq").first()
    assert seal is not None
    attempts = [
        lambda: AuditSeal.objects.filter(pk=seal.pk).update(hash="0" * 64),
        lambda: AuditSeal.objects.filter(pk=seal.pk).delete(),
        lambda: AuditEvent.objects.filter(pk=seal.event_id).update(request_id="tampered"),
    ]
    for attempt in attempts:
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    assert audit_verify_run().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_sealers_and_writers_build_one_linear_chain():
    """Four sealers race while four writers keep recording: every event ends up sealed exactly once,
    seq runs 1..n without a fork, and the chain verifies."""
    writers, sealers, per_writer = 4, 4, 40
    barrier = threading.Barrier(writers + sealers)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            barrier.wait()
            for i in range(per_writer):
                with transaction.atomic():
                    audit_record(event_type=AuditEventType.LOGIN, actor=None, extra={"i": i})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    def seal() -> None:
        try:
            barrier.wait()
            for _ in range(10):
                audit_seal_run(settle_seconds=0, batch_size=7)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    threads += [threading.Thread(target=seal) for _ in range(sealers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    audit_seal_run(settle_seconds=0)
    total = AuditEvent.objects.count()
    assert total >= writers * per_writer
    seqs = list(AuditSeal.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, total + 1))
    assert AuditSeal.objects.values("event_id").distinct().count() == total
    prevs = list(AuditSeal.objects.order_by("seq").values_list("prev_hash", "hash"))
    assert all(prevs[i][0] == prevs[i - 1][1] for i in range(1, len(prevs)))
    assert audit_verify_run().ok
