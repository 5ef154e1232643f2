"""Bad input refused: every portal and console form, every API write and every upload is sent the
hostile corpus (`hostile_corpus`). Whatever comes in: no 5xx; a refusal writes nothing; a value that
is accepted is shown escaped on the pages that show it; an export never carries a formula.

The form sweep is an explicit table (`FORMS`) kept in sync with the URL configuration by
`test_every_post_view_is_in_the_sweep_table`: a new view that takes a POST fails that test until it
is added to the table (or to `NOT_SWEPT` with the reason)."""

from __future__ import annotations

import functools
import inspect
import io
import json
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.html import escape
from openpyxl import Workbook, load_workbook
from rest_framework.test import APIClient

from muqeem.accounts.security_code import SESSION_FLAG
from muqeem.agency.models import AgencyImport, ImportKind
from muqeem.agency.services import agency_import_check, traffic_fine_issue
from muqeem.api.services import api_key_create
from muqeem.audit.models import AuditEvent
from muqeem.bulk.models import BulkBatch
from muqeem.bulk.services.batches import bulk_batch_upload
from muqeem.bulk.spreadsheet import COLUMNS as BULK_COLUMNS
from muqeem.bulk.spreadsheet import header_text as bulk_header_text
from muqeem.core.dates import today
from muqeem.core.errors import render_bilingual
from muqeem.eservices.exit_reentry.models import DurationUnit, VisaType
from muqeem.eservices.exit_reentry.services import VisaTerms, visa_issue
from muqeem.eservices.final_exit.services import final_exit_issue
from muqeem.eservices.service_transfer.services import transfer_request_create
from muqeem.exception_requests.models import ExceptionAttachment
from muqeem.exception_requests.services import exception_request_file
from muqeem.integrations.models import IntegrationKind
from muqeem.integrations.services import integration_credential_create
from muqeem.oversight.tables import TABLE_BUILDERS
from muqeem.payments.services import bill_create
from muqeem.webhooks.services import webhook_endpoint_create, webhook_event_emit
from tests.factories import (
    DependentFactory,
    EstablishmentFactory,
    ResidentFactory,
    UserFactory,
)

from .hostile_corpus import (
    FORMULAS,
    JSON_VALUES,
    RAW_BODIES,
    SCRIPT,
    for_field,
    raw_markup_in,
)

pytestmark = pytest.mark.django_db

# --- Watching the database -------------------------------------------------------------------------

# Tables a refused request may still write by design: the audit log of the attempt, sessions, login
# throttling, security codes and their SMS, queued task results.
UNWATCHED_APPS = {"audit", "sessions", "axes", "admin", "django_tasks_database", "contenttypes"}
UNWATCHED_MODELS = {"accounts.SecurityCode", "notifications.SmsMessage"}


def _watched_models() -> list[Any]:
    return [
        m
        for m in apps.get_models()
        if m._meta.app_label not in UNWATCHED_APPS
        and m._meta.label not in UNWATCHED_MODELS
        and m._meta.managed
        and not m._meta.proxy
    ]


def _snapshot_sql() -> str:
    """One statement giving, per watched table, its row count and a fingerprint of its changes
    (the sum of `version` and the latest `updated_at` where the table has them), so that an update
    that a refused request left behind shows as well as an inserted row."""
    qn = connection.ops.quote_name
    parts = []
    for model in _watched_models():
        columns = {f.column for f in model._meta.concrete_fields}
        # As text, so that the rows of every table have the same types (PostgreSQL's UNION).
        version = f"CAST(SUM({qn('version')}) AS TEXT)" if "version" in columns else "''"
        updated = f"CAST(MAX({qn('updated_at')}) AS TEXT)" if "updated_at" in columns else "''"
        table = qn(model._meta.db_table)
        select = f"SELECT '{model._meta.label}', COUNT(*), {version}, {updated} FROM {table}"  # noqa: S608
        parts.append(select)  # the names are model metadata, never input
    return " UNION ALL ".join(parts)


def snapshot() -> dict[str, tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(_snapshot_sql())
        return {row[0]: tuple(str(v) for v in row[1:]) for row in cursor.fetchall()}


def changed(before: dict[str, tuple[Any, ...]], after: dict[str, tuple[Any, ...]]) -> list[str]:
    return sorted(label for label in after if before.get(label) != after[label])


# --- Clients ---------------------------------------------------------------------------------------


def _encode(value: Any) -> bytes:
    # A lone surrogate cannot be UTF-8: sent as the bytes a broken client would send (invalid UTF-8).
    return str(value).encode("utf-8", "surrogatepass")


def form_body(data: dict[str, Any]) -> bytes:
    pairs: list[tuple[bytes, bytes]] = []
    for key, value in data.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            pairs.append((_encode(key), _encode(item)))
    return urlencode(pairs).encode("ascii")


FORM = "application/x-www-form-urlencoded"


def portal_login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_FLAG] = "verified"
    session.save()
    return client


def staff_login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- The world a sweep runs in ---------------------------------------------------------------------


@dataclass
class World:
    """One establishment with every kind of record a form acts on, its main user, the authority's
    supervisor, and a second establishment on the other side of a transfer."""

    est: Any
    main: Any
    officer: Any
    supervisor: Any
    resident: Any
    late_resident: Any
    other_est: Any
    other_main: Any
    other_resident: Any
    visa_number: str
    final_exit_number: str
    incoming_transfer: str
    outgoing_transfer: str
    bill_number: str
    exception_number: str
    endpoint_id: int
    delivery_id: int
    api_key_id: int
    fine_number: str
    import_pk: int
    batch_id: int
    extra: dict[str, Any] = field(default_factory=dict)


def _fund(est: Any) -> None:
    from conftest import fund

    fund(est, 100_000)


def _agency_csv() -> bytes:
    return "رقم الإقامة / iqama_number,registered_vehicles\n{}\n".encode()


def build_world(tmp_path: Any, settings: Any) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SMS_FILE_PATH = tmp_path / "sms.jsonl"
    cache.clear()
    est = EstablishmentFactory()
    other_est = EstablishmentFactory()
    _fund(est)
    _fund(other_est)
    main = UserFactory(establishment=est, is_main_user=True)
    officer = UserFactory(establishment=est)
    other_main = UserFactory(establishment=other_est, is_main_user=True)
    supervisor = UserFactory(establishment=None, is_staff=True, staff_role="supervisor")
    resident = ResidentFactory(establishment=est)
    DependentFactory(resident=resident)
    late_resident = ResidentFactory(
        establishment=est, iqama_expiry_date=today() - timedelta(days=10), late_renewal_count=2
    )
    other_resident = ResidentFactory(establishment=other_est)
    visa = visa_issue(
        actor=main,
        iqama_number=ResidentFactory(establishment=est).iqama_number,
        terms=VisaTerms(VisaType.SINGLE, DurationUnit.DAYS, 30),
        idempotency_key="hostile-visa",
    ).visa
    final_exit = final_exit_issue(
        actor=main,
        identifier=ResidentFactory(establishment=est).iqama_number,
        idempotency_key="hostile-final-exit",
    ).final_exit
    incoming = transfer_request_create(
        actor=other_main,
        iqama_number=ResidentFactory(establishment=est).iqama_number,
        sponsor_moi=est.moi_number,
        idempotency_key="hostile-transfer-in",
    ).transfer
    outgoing = transfer_request_create(
        actor=main,
        iqama_number=ResidentFactory(establishment=other_est).iqama_number,
        sponsor_moi=other_est.moi_number,
        idempotency_key="hostile-transfer-out",
    ).transfer
    bill = bill_create(actor=main, amount_halalas=50_000, idempotency_key="hostile-bill").bill
    exception = exception_request_file(
        actor=main,
        iqama_number=late_resident.iqama_number,
        codes=["LATE_RENEWAL_LIMIT_REACHED"],
        reason="In hospital when the iqama expired.",
    )
    endpoint, _secret = webhook_endpoint_create(
        actor=main, url="https://hooks.example.com/muqeem", event_types=["request.completed"]
    )
    deliveries = webhook_event_emit(
        establishment_id=est.pk, event_type="request.completed", data={"visa": visa.number}
    )
    key, _secret = api_key_create(actor=main, name="hostile", permissions=["iqama_renewal"])
    fine = traffic_fine_issue(
        number="TF-2026-000777",
        iqama_number=resident.iqama_number,
        amount_halalas=15_000,
        violation="Speeding",
        issued_on=today(),
        actor=supervisor,
    )
    agency_import = agency_import_check(
        kind=ImportKind.VEHICLES,
        data=f"iqama_number,registered_vehicles\n{resident.iqama_number},1\n".encode(),
        filename="vehicles.csv",
        actor=supervisor,
    )
    bulk_csv = _bulk_csv([["renew_iqama", resident.iqama_number, "12"]])
    batch = bulk_batch_upload(
        actor=main, filename="batch.csv", size=len(bulk_csv), content=io.BytesIO(bulk_csv)
    )
    return World(
        est=est,
        main=main,
        officer=officer,
        supervisor=supervisor,
        resident=resident,
        late_resident=late_resident,
        other_est=other_est,
        other_main=other_main,
        other_resident=other_resident,
        visa_number=visa.number,
        final_exit_number=final_exit.number,
        incoming_transfer=incoming.request.number,
        outgoing_transfer=outgoing.request.number,
        bill_number=bill.number,
        exception_number=exception.number,
        endpoint_id=endpoint.pk,
        delivery_id=deliveries[0].pk,
        api_key_id=key.pk,
        fine_number=getattr(fine, "fine", fine).number,
        import_pk=agency_import.pk,
        batch_id=batch.pk,
    )


def _bulk_csv(rows: list[list[str]]) -> bytes:
    import csv

    keys = [c.key for c in BULK_COLUMNS]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([bulk_header_text(c) for c in BULK_COLUMNS])
    for operation, iqama, months in rows:
        cells = {"operation": operation, "iqama_number": iqama, "months": months}
        writer.writerow([cells.get(k, "") for k in keys])
    return out.getvalue().encode("utf-8-sig")


@pytest.fixture
def world(tmp_path, settings) -> World:
    return build_world(tmp_path, settings)


# --- The table of forms ----------------------------------------------------------------------------

PORTAL, STAFF, ANONYMOUS = "portal", "staff", "anonymous"


@dataclass(frozen=True)
class FormCase:
    """A form: who posts it, to which URL, a valid baseline, and the fields to fuzz (all of the
    baseline's by default)."""

    persona: str
    url: Callable[[World], str]
    data: Callable[[World], dict[str, Any]]
    fields: tuple[str, ...] | None = None


def key() -> str:
    return uuid.uuid4().hex


def _u(name: str, *args: Callable[[World], Any]) -> Callable[[World], str]:
    return lambda w: reverse(name, args=[a(w) for a in args])


def _const(value: Any) -> Callable[[World], Any]:
    return lambda w: value


IQAMA = lambda w: {"iqama_number": w.resident.iqama_number}  # noqa: E731
TOKEN = _const({"token": "not-a-token"})

FORMS: dict[str, FormCase] = {
    # Accounts (login, security code, activation): swept for 5xx and escaping only.
    "accounts:login": FormCase(
        ANONYMOUS, _u("accounts:login"), _const({"username": "someone", "password": "x"})
    ),
    "accounts:logout": FormCase(PORTAL, _u("accounts:logout"), _const({"next": "/"})),
    "accounts:security_code": FormCase(
        PORTAL, _u("accounts:security_code"), _const({"code": "123456", "next": "/"})
    ),
    "accounts:activate": FormCase(
        ANONYMOUS,
        lambda w: reverse("accounts:activate", args=["MQ", "set-password"]),
        _const({"new_password1": "x", "new_password2": "x"}),
    ),
    "users:create": FormCase(
        PORTAL,
        _u("users:create"),
        _const(
            {
                "username": "new.officer",
                "full_name_ar": "موظف جديد",
                "first_name": "New",
                "last_name": "Officer",
                "email": "new.officer@example.com",
                "role": "officer",
                "permissions": ["iqama_renewal"],
            }
        ),
    ),
    "users:detail": FormCase(
        PORTAL,
        lambda w: reverse("users:detail", args=[w.officer.pk]),
        _const({"role": "officer", "permissions": ["iqama_renewal"], "is_active": "on"}),
    ),
    "users:resend": FormCase(
        PORTAL, lambda w: reverse("users:resend", args=[w.officer.pk]), _const({"x": "1"})
    ),
    # API keys and webhooks.
    "api_keys:create": FormCase(
        PORTAL, _u("api_keys:create"), _const({"name": "ERP", "permissions": ["iqama_renewal"]})
    ),
    "api_keys:revoke": FormCase(
        PORTAL, lambda w: reverse("api_keys:revoke", args=[w.api_key_id]), _const({"x": "1"})
    ),
    "webhooks:create": FormCase(
        PORTAL,
        _u("webhooks:create"),
        _const({"url": "https://hooks.example.com/a", "event_types": ["request.completed"]}),
    ),
    "webhooks:toggle": FormCase(
        PORTAL, lambda w: reverse("webhooks:toggle", args=[w.endpoint_id]), _const({"active": "1"})
    ),
    "webhooks:redeliver": FormCase(
        PORTAL,
        lambda w: reverse("webhooks:redeliver", args=[w.delivery_id]),
        _const({"x": "1"}),
    ),
    # E-services: the check step with its fields, the confirm step with its token.
    "iqama_renewal:renew": FormCase(
        PORTAL,
        _u("iqama_renewal:renew"),
        lambda w: {"iqama_number": w.resident.iqama_number, "period_months": "12"},
    ),
    "iqama_renewal:confirm": FormCase(PORTAL, _u("iqama_renewal:confirm"), TOKEN),
    "exit_reentry:issue": FormCase(
        PORTAL,
        _u("exit_reentry:issue"),
        lambda w: {
            "iqama_number": w.resident.iqama_number,
            "visa_type": "single",
            "duration_unit": "days",
            "duration_value": "30",
            "return_before": "",
        },
    ),
    "exit_reentry:issue_confirm": FormCase(PORTAL, _u("exit_reentry:issue_confirm"), TOKEN),
    "exit_reentry:extend": FormCase(
        PORTAL, _u("exit_reentry:extend", lambda w: w.visa_number), _const({"months": "1"})
    ),
    "exit_reentry:extend_confirm": FormCase(
        PORTAL, _u("exit_reentry:extend_confirm", lambda w: w.visa_number), TOKEN
    ),
    "exit_reentry:cancel": FormCase(
        PORTAL, _u("exit_reentry:cancel", lambda w: w.visa_number), TOKEN
    ),
    "exit_reentry:pay_fine": FormCase(
        PORTAL, _u("exit_reentry:pay_fine", lambda w: w.visa_number), _const({"x": "1"})
    ),
    "final_exit:issue": FormCase(PORTAL, _u("final_exit:issue"), IQAMA),
    "final_exit:probation": FormCase(
        PORTAL, _u("final_exit:probation"), _const({"border_number": "3001000000"})
    ),
    "final_exit:issue_confirm": FormCase(
        PORTAL, _u("final_exit:issue_confirm"), _const({"token": "x", "dependents": ["1"]})
    ),
    "final_exit:cancel": FormCase(
        PORTAL, _u("final_exit:cancel", lambda w: w.final_exit_number), TOKEN
    ),
    "iqama_issuance:issue": FormCase(
        PORTAL, _u("iqama_issuance:issue"), _const({"border_number": "3001000000"})
    ),
    "iqama_issuance:confirm": FormCase(PORTAL, _u("iqama_issuance:confirm"), TOKEN),
    "profession_change:change": FormCase(
        PORTAL,
        _u("profession_change:change"),
        lambda w: {"iqama_number": w.resident.iqama_number, "profession": "741101"},
    ),
    "profession_change:confirm": FormCase(PORTAL, _u("profession_change:confirm"), TOKEN),
    "passport_update:update": FormCase(
        PORTAL,
        _u("passport_update:update"),
        lambda w: {
            "iqama_number": w.resident.iqama_number,
            "passport_number": "Q1234567",
            "issue_date": (today() - timedelta(days=10)).isoformat(),
            "expiry_date": (today() + timedelta(days=3000)).isoformat(),
        },
    ),
    "passport_update:confirm": FormCase(PORTAL, _u("passport_update:confirm"), TOKEN),
    "service_transfer:request": FormCase(
        PORTAL,
        _u("service_transfer:request"),
        lambda w: {
            "iqama_number": w.other_resident.iqama_number,
            "sponsor_moi": w.other_est.moi_number,
        },
    ),
    "service_transfer:confirm": FormCase(PORTAL, _u("service_transfer:confirm"), TOKEN),
    "service_transfer:approve": FormCase(
        PORTAL, _u("service_transfer:approve", lambda w: w.incoming_transfer), _const({"x": "1"})
    ),
    "service_transfer:reject": FormCase(
        PORTAL,
        _u("service_transfer:reject", lambda w: w.incoming_transfer),
        _const({"reason": "Not agreed"}),
    ),
    "service_transfer:withdraw": FormCase(
        PORTAL, _u("service_transfer:withdraw", lambda w: w.outgoing_transfer), _const({"x": "1"})
    ),
    "service_transfer:consent": FormCase(
        PORTAL,
        _u("service_transfer:consent", lambda w: w.outgoing_transfer),
        _const({"code": "123456"}),
    ),
    "delivery:reprint": FormCase(
        PORTAL, _u("delivery:reprint"), lambda w: {**IQAMA(w), "reason": "lost"}
    ),
    "delivery:reprint_confirm": FormCase(PORTAL, _u("delivery:reprint_confirm"), TOKEN),
    "alerts:mark_all_read": FormCase(PORTAL, _u("alerts:mark_all_read"), _const({"x": "1"})),
    "alerts:settings": FormCase(
        PORTAL,
        _u("alerts:settings"),
        _const(
            {
                "thresholds": ["30", "7"],
                "sms_enabled": "on",
                "email_enabled": "on",
                "email": "hr@example.com",
            }
        ),
    ),
    "alerts:feed_regenerate": FormCase(PORTAL, _u("alerts:feed_regenerate"), _const({"x": "1"})),
    "bulk:confirm": FormCase(
        PORTAL, lambda w: reverse("bulk:confirm", args=[w.batch_id]), _const({"x": "1"})
    ),
    "bulk:resume": FormCase(
        PORTAL, lambda w: reverse("bulk:resume", args=[w.batch_id]), _const({"x": "1"})
    ),
    "payments:bills": FormCase(
        PORTAL, _u("payments:bills"), lambda w: {"amount": "500", "key": key()}
    ),
    "payments:cancel": FormCase(
        PORTAL, _u("payments:cancel", lambda w: w.bill_number), _const({"x": "1"})
    ),
    "exception_requests:file": FormCase(
        PORTAL,
        _u("exception_requests:file"),
        lambda w: {
            "iqama_number": w.late_resident.iqama_number,
            "code": ["LATE_RENEWAL_LIMIT_REACHED"],
            "reason": "In hospital.",
        },
    ),
    "exception_requests:withdraw": FormCase(
        PORTAL,
        _u("exception_requests:withdraw", lambda w: w.exception_number),
        _const({"x": "1"}),
    ),
    # The staff console.
    "border:crossings": FormCase(
        STAFF,
        _u("border:crossings"),
        lambda w: {
            **IQAMA(w),
            "direction": "departure",
            "crossed_on": today().isoformat(),
            "port": "King Fahd Causeway",
        },
    ),
    "delivery_staff:orders": FormCase(
        STAFF,
        _u("delivery_staff:orders"),
        lambda w: {"tracking": "WSL000000001", "status": "dispatched", "key": key(), "note": "ok"},
    ),
    "authority:schedule_key": FormCase(
        STAFF,
        _u("authority:schedule_key", _const("visa.cancel_window_days")),
        lambda w: {
            "value": "20",
            "effective_from": (today() + timedelta(days=40)).isoformat(),
            "note": "Decision 12/1447",
        },
    ),
    "authority:schedule_cancel": FormCase(
        STAFF,
        _u("authority:schedule_cancel", _const("visa.cancel_window_days"), _const(999_999)),
        _const({"x": "1"}),
    ),
    "authority:establishment": FormCase(
        STAFF,
        _u("authority:establishment", lambda w: w.other_est.moi_number),
        _const({"action": "suspend", "reason": "Inspection 7/1447"}),
    ),
    "authority:resident_correct": FormCase(
        STAFF,
        _u("authority:resident_correct", lambda w: w.other_resident.pk),
        lambda w: {
            "name_ar": "اسم مصحح",
            "name_en": "Corrected Name",
            "gender": "m",
            "date_of_birth": "1990-01-01",
            "nationality": w.other_resident.nationality.code,
            "religion": "",
            "mobile": "966512345678",
            "reason": "Passport copy",
        },
    ),
    "agency:fact_update": FormCase(
        STAFF,
        _u("agency:fact_update", lambda w: w.resident.iqama_number, _const("fine")),
        lambda w: {
            "fine_number": "TF-2026-000888",
            "amount": "150",
            "violation": "Speeding",
            "issued_on": today().isoformat(),
        },
    ),
    "agency:fine_pay": FormCase(
        STAFF,
        _u("agency:fine_pay", lambda w: w.fine_number),
        _const({"payment_reference": "SADAD-1", "next": "fines"}),
    ),
    "agency:import_confirm": FormCase(
        STAFF,
        lambda w: reverse("agency:import_confirm", args=["vehicles", w.import_pk]),
        _const({"x": "1"}),
    ),
    "payments_staff:confirm": FormCase(
        STAFF,
        _u("payments_staff:confirm", lambda w: w.bill_number),
        lambda w: {
            "amount": "500",
            "payment_reference": "BNK-77",
            "paid_at": (today() - timedelta(days=1)).isoformat() + " 10:00",
        },
    ),
    "payments_staff:reverse": FormCase(
        STAFF,
        _u("payments_staff:reverse", lambda w: w.bill_number),
        _const({"reason": "Bank recall"}),
    ),
    "payments_staff:refund": FormCase(
        STAFF,
        _u("payments_staff:refund", lambda w: w.est.moi_number),
        lambda w: {"amount": "10", "reason": "Overpaid", "key": key()},
    ),
    "exception_requests_staff:detail": FormCase(
        STAFF,
        _u("exception_requests_staff:detail", lambda w: w.exception_number),
        _const({"decision": "reject", "reason": "Not enough evidence"}),
    ),
    "set_language": FormCase(
        ANONYMOUS, _u("set_language"), _const({"language": "en", "next": "/"})
    ),
}

# Views that take a POST but are not swept here, and why.
NOT_SWEPT = {
    "bulk:index": "an upload: test_bulk_upload_refuses_hostile_files",
    "agency:import": "an upload: test_agency_import_refuses_hostile_files",
    "admin:login": "Django's admin login, not a portal form",
    "admin:auth_user_password_change": "Django's admin",
}


def _walk(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace
            ns = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
            yield from _walk(pattern.url_patterns, ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), pattern.callback


def _takes_post(callback: Any) -> bool:
    view = getattr(callback, "view_class", None)
    if view is not None:
        return hasattr(view, "post")
    try:
        source = inspect.getsource(inspect.unwrap(callback))
    except (OSError, TypeError):
        return False
    return "POST" in source or "request.FILES" in source


def _is_admin_or_api(name: str, callback: Any) -> bool:
    return name.startswith("admin:") or hasattr(callback, "cls")


def test_every_post_view_is_in_the_sweep_table():
    posting = {
        name
        for name, callback in _walk(get_resolver().url_patterns)
        if _takes_post(callback) and not _is_admin_or_api(name, callback)
    }
    missing = posting - set(FORMS) - set(NOT_SWEPT)
    assert not missing, f"add these POST views to FORMS (or NOT_SWEPT): {sorted(missing)}"
    names = {name for name, _callback in _walk(get_resolver().url_patterns)}
    assert not set(FORMS) - names, f"no such views: {sorted(set(FORMS) - names)}"


def _client(world: World, persona: str) -> Client:
    if persona == PORTAL:
        return portal_login(world.main)
    if persona == STAFF:
        return staff_login(world.supervisor)
    return Client()


VALUES_PER_FIELD = 4


def _check_page(client: Client, response: Any, where: str) -> None:
    body = response.content.decode("utf-8", "replace") if hasattr(response, "content") else ""
    assert not raw_markup_in(body), f"{where}: unescaped markup {raw_markup_in(body)}"


def _post_and_check(client: Client, url: str, data: dict[str, Any], where: str) -> int:
    before = snapshot()
    response = client.post(url, form_body(data), content_type=FORM)
    after = snapshot()
    assert response.status_code < 500, f"{where}: {response.status_code}"
    if response.status_code >= 400:
        assert not changed(before, after), f"{where}: refused but wrote {changed(before, after)}"
    _check_page(client, response, where)
    if response.status_code in (301, 302, 303) and response["Location"].startswith("/"):
        followed = client.get(response["Location"])
        assert followed.status_code < 500, f"{where}: the page after the redirect"
        _check_page(client, followed, f"{where} (after the redirect)")
    return response.status_code


@pytest.mark.parametrize("name", sorted(FORMS))
def test_form_refuses_hostile_input(name, world, settings):
    settings.AXES_ENABLED = False
    case = FORMS[name]
    client = _client(world, case.persona)
    url = case.url(world)
    baseline = case.data(world)
    # A page that creates its row on first view (alert settings) does so on this GET, not on a POST.
    assert client.get(url).status_code < 500
    statuses = {}
    fields = case.fields or tuple(baseline)
    for index, field_name in enumerate(fields):
        for value in for_field(index + len(name), VALUES_PER_FIELD):
            data = case.data(world) | {field_name: value}
            where = f"{name} {field_name}={value[:40]!r}"
            statuses[where] = _post_and_check(client, url, data, where)
    # An extra field, a repeated field and an empty post are refused or ignored, never a 5xx.
    _post_and_check(client, url, baseline | {"unexpected": SCRIPT}, f"{name} extra field")
    _post_and_check(client, url, {k: [v, SCRIPT] for k, v in baseline.items()}, f"{name} repeated")
    _post_and_check(client, url, {}, f"{name} empty")
    # Whatever was stored shows escaped wherever the audit log shows it.
    auditor = staff_login(world.supervisor)
    _check_page(auditor, auditor.get(reverse("oversight:audit")), f"{name} audit list")
    for pk in AuditEvent.objects.order_by("-pk").values_list("pk", flat=True)[:10]:
        page = auditor.get(reverse("oversight:audit_event", args=[pk]))
        assert page.status_code < 500
        _check_page(auditor, page, f"{name} audit event {pk}")
    # The persona may use the form: the sweep reached it rather than a refusal at the door.
    assert statuses and 403 not in statuses.values(), statuses


# --- The APIs ---------------------------------------------------------------------------------------

ESTABLISHMENT_KEY = "establishment"


@dataclass(frozen=True)
class ApiCase:
    """An API write: whose credential, the method, the URL, a valid body."""

    credential: str
    url: Callable[[World], str]
    body: Callable[[World], dict[str, Any]]
    method: str = "post"


def _iq(w: World) -> dict[str, Any]:
    return {"iqama_number": w.resident.iqama_number}


_VISA = lambda w: {  # noqa: E731
    **_iq(w),
    "visa_type": "single",
    "duration_unit": "days",
    "duration_value": 30,
}
_PASSPORT = lambda w: {  # noqa: E731
    **_iq(w),
    "passport_number": "Q7654321",
    "issue_date": (today() - timedelta(days=5)).isoformat(),
    "expiry_date": (today() + timedelta(days=3000)).isoformat(),
}
_TRANSFER = lambda w: {  # noqa: E731
    "iqama_number": w.other_resident.iqama_number,
    "sponsor_moi": w.other_est.moi_number,
}
_EMPTY = _const({})


def _api(name: str, *args: Callable[[World], Any]) -> Callable[[World], str]:
    return _u(name, *args)


API: dict[str, ApiCase] = {
    "api:renewal-eligibility": ApiCase(
        ESTABLISHMENT_KEY,
        _api("api:renewal-eligibility"),
        lambda w: {**_iq(w), "period_months": 12},
    ),
    "api:renewals": ApiCase(
        ESTABLISHMENT_KEY, _api("api:renewals"), lambda w: {**_iq(w), "period_months": 12}
    ),
    "api:issuance-eligibility": ApiCase(
        ESTABLISHMENT_KEY, _api("api:issuance-eligibility"), _const({"border_number": "3001000000"})
    ),
    "api:issuances": ApiCase(
        ESTABLISHMENT_KEY, _api("api:issuances"), _const({"border_number": "3001000000"})
    ),
    "api:profession-change-eligibility": ApiCase(
        ESTABLISHMENT_KEY,
        _api("api:profession-change-eligibility"),
        lambda w: {**_iq(w), "new_profession_code": "741101"},
    ),
    "api:profession-changes": ApiCase(
        ESTABLISHMENT_KEY,
        _api("api:profession-changes"),
        lambda w: {**_iq(w), "new_profession_code": "741101"},
    ),
    "api:passport-update-eligibility": ApiCase(
        ESTABLISHMENT_KEY, _api("api:passport-update-eligibility"), _PASSPORT
    ),
    "api:passport-updates": ApiCase(ESTABLISHMENT_KEY, _api("api:passport-updates"), _PASSPORT),
    "api:visa-eligibility": ApiCase(ESTABLISHMENT_KEY, _api("api:visa-eligibility"), _VISA),
    "api:visas": ApiCase(ESTABLISHMENT_KEY, _api("api:visas"), _VISA),
    "api:visa-cancel-eligibility": ApiCase(
        ESTABLISHMENT_KEY, _api("api:visa-cancel-eligibility", lambda w: w.visa_number), _EMPTY
    ),
    "api:visa-cancel": ApiCase(
        ESTABLISHMENT_KEY, _api("api:visa-cancel", lambda w: w.visa_number), _EMPTY
    ),
    "api:visa-extend-eligibility": ApiCase(
        ESTABLISHMENT_KEY,
        _api("api:visa-extend-eligibility", lambda w: w.visa_number),
        _const({"months": 1}),
    ),
    "api:visa-extend": ApiCase(
        ESTABLISHMENT_KEY, _api("api:visa-extend", lambda w: w.visa_number), _const({"months": 1})
    ),
    "api:final-exit-eligibility": ApiCase(
        ESTABLISHMENT_KEY,
        _api("api:final-exit-eligibility"),
        lambda w: {**_iq(w), "kind": "regular", "dependent_ids": []},
    ),
    "api:final-exits": ApiCase(
        ESTABLISHMENT_KEY,
        _api("api:final-exits"),
        lambda w: {**_iq(w), "kind": "regular", "dependent_ids": []},
    ),
    "api:final-exit-cancel-eligibility": ApiCase(
        ESTABLISHMENT_KEY,
        _api("api:final-exit-cancel-eligibility", lambda w: w.final_exit_number),
        _EMPTY,
    ),
    "api:final-exit-cancel": ApiCase(
        ESTABLISHMENT_KEY, _api("api:final-exit-cancel", lambda w: w.final_exit_number), _EMPTY
    ),
    "api:transfer-eligibility": ApiCase(
        ESTABLISHMENT_KEY, _api("api:transfer-eligibility"), _TRANSFER
    ),
    "api:transfers": ApiCase(ESTABLISHMENT_KEY, _api("api:transfers"), _TRANSFER),
    "api:transfer-approve": ApiCase(
        ESTABLISHMENT_KEY, _api("api:transfer-approve", lambda w: w.incoming_transfer), _EMPTY
    ),
    "api:transfer-reject": ApiCase(
        ESTABLISHMENT_KEY,
        _api("api:transfer-reject", lambda w: w.incoming_transfer),
        _const({"reason": "Not agreed"}),
    ),
    "api:transfer-withdraw": ApiCase(
        ESTABLISHMENT_KEY, _api("api:transfer-withdraw", lambda w: w.outgoing_transfer), _EMPTY
    ),
    "api:card-replacement-eligibility": ApiCase(
        ESTABLISHMENT_KEY,
        _api("api:card-replacement-eligibility"),
        lambda w: {**_iq(w), "reason": "lost"},
    ),
    "api:card-replacements": ApiCase(
        ESTABLISHMENT_KEY, _api("api:card-replacements"), lambda w: {**_iq(w), "reason": "lost"}
    ),
    "api:fine-pay": ApiCase(ESTABLISHMENT_KEY, _api("api:fine-pay", _const("123")), _EMPTY),
    "border-crossing-create": ApiCase(
        IntegrationKind.BORDER,
        _api("border-crossing-create"),
        lambda w: {
            "event_id": key(),
            **_iq(w),
            "direction": "departure",
            "date": today().isoformat(),
            "port": "Jeddah",
        },
    ),
    "postal-delivery-event-create": ApiCase(
        IntegrationKind.POSTAL,
        _api("postal-delivery-event-create", _const("WSL000000001")),
        lambda w: {"event_id": key(), "status": "dispatched", "note": "ok"},
    ),
    "agency_api:insurance": ApiCase(
        IntegrationKind.INSURANCE,
        _api("agency_api:insurance", lambda w: w.resident.iqama_number),
        lambda w: {"active": True, "expiry_date": (today() + timedelta(days=300)).isoformat()},
        method="put",
    ),
    "agency_api:fingerprint": ApiCase(
        IntegrationKind.BIOMETRIC,
        _api("agency_api:fingerprint", lambda w: w.resident.iqama_number),
        _const({"registered": True, "reference": "BIO-1"}),
        method="put",
    ),
    "agency_api:vehicles": ApiCase(
        IntegrationKind.VEHICLES,
        _api("agency_api:vehicles", lambda w: w.resident.iqama_number),
        _const({"count": 2}),
        method="put",
    ),
    "agency_api:absence-report": ApiCase(
        IntegrationKind.LABOUR,
        _api("agency_api:absence-report", lambda w: w.resident.iqama_number),
        _const({"reference": "LAB-1"}),
    ),
    "agency_api:traffic-fines": ApiCase(
        IntegrationKind.TRAFFIC,
        _api("agency_api:traffic-fines"),
        lambda w: {
            "fine_number": "TF-2026-000999",
            **_iq(w),
            "amount_halalas": 15_000,
            "violation": "Speeding",
            "issued_on": today().isoformat(),
        },
    ),
    "agency_api:traffic-fine-payment": ApiCase(
        IntegrationKind.TRAFFIC,
        _api("agency_api:traffic-fine-payment", lambda w: w.fine_number),
        _const({"payment_reference": "SADAD-9"}),
    ),
    "agency_api:import-confirm": ApiCase(
        IntegrationKind.VEHICLES,
        lambda w: reverse("agency_api:import-confirm", args=["vehicles", w.import_pk]),
        _EMPTY,
    ),
    "bank_api:payment-confirm": ApiCase(
        IntegrationKind.BANK,
        _api("bank_api:payment-confirm"),
        lambda w: {
            "bill_number": w.bill_number,
            "amount": "500.00",
            "payment_reference": "BNK-1",
            "paid_at": (today() - timedelta(days=1)).isoformat() + "T10:00:00+03:00",
        },
    ),
}
NOT_SWEPT_API = {
    "agency_api:imports": "an upload: test_agency_import_refuses_hostile_files",
}


def test_every_api_write_is_in_the_sweep_table():
    writing = set()
    for name, callback in _walk(get_resolver().url_patterns):
        view = getattr(callback, "cls", None)
        if view is None or name.startswith("admin:"):
            continue
        if any(hasattr(view, m) for m in ("post", "put", "patch", "delete")):
            writing.add(name)
    missing = writing - set(API) - set(NOT_SWEPT_API)
    assert not missing, f"add these API writes to API (or NOT_SWEPT_API): {sorted(missing)}"


def _api_client(world: World, credential: str) -> APIClient:
    client = APIClient()
    if credential == ESTABLISHMENT_KEY:
        from muqeem.accounts.permissions import Permission

        permissions = [p.value for p in Permission if p != Permission.USER_MANAGEMENT]
        _key, secret = api_key_create(actor=world.main, name="sweep", permissions=permissions)
    else:
        _credential, secret = integration_credential_create(name=credential, kind=credential)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def _send(client: APIClient, case: ApiCase, url: str, body: bytes, where: str) -> int:
    before = snapshot()
    response = getattr(client, case.method)(
        url,
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key(),
        HTTP_ACCEPT_LANGUAGE="ar",
    )
    after = snapshot()
    assert response.status_code < 500, f"{where}: {response.status_code}"
    if response.status_code >= 400:
        unexpected = [t for t in changed(before, after) if t != "api.IdempotencyRecord"]
        assert not unexpected, f"{where}: refused but wrote {unexpected}"
        if response.get("Content-Type", "").startswith("application/json"):
            envelope = response.json()
            # The error envelope: a code and the message in both languages.
            assert envelope.get("code") and set(envelope.get("messages", {})) >= {"ar", "en"}, where
    return response.status_code


@pytest.mark.parametrize("name", sorted(API))
def test_api_refuses_hostile_json(name, world, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}),
            "api_key": "100000/min",
        },
    }
    case = API[name]
    client = _api_client(world, case.credential)
    url = case.url(world)
    baseline = case.body(world)
    statuses = {}
    step = 0
    for field_name in baseline:
        for value in JSON_VALUES[step % 5 :: 5]:
            step += 1
            body = json.dumps(case.body(world) | {field_name: value}).encode()
            where = f"{name} {field_name}={str(value)[:40]!r}"
            statuses[where] = _send(client, case, url, body, where)
    # Bodies that are not a JSON object, or not JSON, or too deep, or too big.
    for raw in RAW_BODIES:
        statuses[f"raw {raw[:20]!r}"] = _send(client, case, url, raw, f"{name} raw {raw[:30]!r}")
    nested = json.dumps(baseline | {"extra": {"a": [[{"b": SCRIPT}]] * 50}}).encode()
    _send(client, case, url, nested, f"{name} nested extra")
    assert statuses


def test_every_api_refuses_json_that_would_break_later_with_its_own_parser():
    """Deep nesting and lone surrogates are refused by `core.api.parsers.JSONParser`; a view that
    parses JSON with DRF's own parser would let them through to a 500."""
    from rest_framework.parsers import JSONParser as DrfJSONParser

    from muqeem.core.api.parsers import JSONParser

    for name, callback in _walk(get_resolver().url_patterns):
        view = getattr(callback, "cls", None)
        if view is None or not any(hasattr(view, m) for m in ("post", "put", "patch", "delete")):
            continue
        for parser in view().get_parsers():
            if isinstance(parser, DrfJSONParser):
                assert isinstance(parser, JSONParser), name


# --- Uploads ----------------------------------------------------------------------------------------


def _xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([bulk_header_text(c) for c in BULK_COLUMNS])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _zip_bomb(inflated_mb: int) -> bytes:
    """An .xlsx-looking zip whose one sheet inflates to `inflated_mb` of spaces."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            chunk = b" " * (1024 * 1024)
            for _ in range(inflated_mb):
                sheet.write(chunk)
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CSV_TEXT = "iqama_number,months\n2100000005,12\nمحمد,١٢\n"


@functools.cache
def hostile_files() -> list[tuple[str, str, bytes]]:
    """(case, file name, content) for every upload form."""
    return [
        ("empty", "empty.csv", b""),
        ("only a BOM", "bom.csv", b"\xef\xbb\xbf"),
        ("UTF-16", "utf16.csv", CSV_TEXT.encode("utf-16")),
        ("cp1256", "arabic.csv", CSV_TEXT.replace("١٢", "12").encode("cp1256")),
        ("invalid UTF-8", "bytes.csv", b"iqama_number,months\n\xff\xfe\xc3\x28,\x80\n"),
        ("NUL bytes", "nul.csv", b"iqama_number,months\n21000\x0000005,12\n"),
        ("a PDF renamed .xlsx", "renamed.xlsx", PDF),
        ("a PDF renamed .csv", "renamed.csv", PDF),
        ("a corrupt zip", "corrupt.xlsx", b"PK\x03\x04" + b"\x00" * 200),
        ("a zip with no workbook", "nobook.xlsx", _zip_with({"a.txt": "x"})),
        ("a zip bomb", "bomb.xlsx", _zip_bomb(210)),
        ("an executable", "tool.exe", b"MZ\x90\x00" + b"\x00" * 60),
        ("path traversal", "../../../../etc/passwd.csv", CSV_TEXT.encode()),
        ("RTL override", "\u202excsv.xlsx", CSV_TEXT.encode()),
        ("HTML", "<script>alert('mq-xss')</script>.csv", b"<html><script>x</script></html>"),
        ("one huge line", "huge.csv", b"iqama_number," + b"9" * 500_000 + b"\n"),
        ("many columns", "wide.csv", (",".join(["c"] * 5000) + "\n" + "1," * 5000).encode()),
    ]


def _zip_with(members: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return out.getvalue()


def _assert_bilingual_refusal(response: Any, where: str) -> None:
    body = response.content.decode()
    assert not raw_markup_in(body), where
    error = response.context.get("error") if response.context else None
    if error is None:
        # Refused by the form itself (an empty file): the field's error, in the page's language.
        form = response.context.get("form") if response.context else None
        assert form is not None and form.errors, f"{where}: no error shown"
        assert response.status_code in (200, 400), f"{where}: {response.status_code}"
        return
    assert 400 <= response.status_code < 500, f"{where}: {response.status_code}"
    messages = render_bilingual(error.code, error.params)
    assert messages["ar"] and messages["en"] and messages["ar"] != messages["en"]
    assert escape(error.message) in body, where


def test_bulk_upload_refuses_hostile_files(world, settings):
    client = portal_login(world.main)
    url = reverse("bulk:index")
    cases = [
        *hostile_files(),
        ("oversized", "big.csv", b"iqama_number,months\n" + b"2100000005,12\n" * 800_000),
    ]
    for case, name, content in cases:
        before = snapshot()
        upload = io.BytesIO(content)
        upload.name = name
        response = client.post(url, {"file": upload})
        assert response.status_code < 500, case
        _assert_bilingual_refusal(response, f"bulk {case}")
        assert BulkBatch.objects.count() == 1, case
        assert not changed(before, snapshot()), case


def test_agency_import_refuses_hostile_files(world):
    client = staff_login(world.supervisor)
    for kind in ImportKind.values:
        url = reverse("agency:import", args=[kind])
        for case, name, content in [
            *hostile_files(),
            ("oversized", "big.csv", b"iqama_number\n" + b"2100000005\n" * 250_000),
        ]:
            before = snapshot()
            upload = io.BytesIO(content)
            upload.name = name
            response = client.post(url, {"file": upload})
            where = f"agency {kind} {case}"
            assert response.status_code < 500, where
            if response.status_code == 302:
                # A file that reads as CSV is checked row by row: the check is kept for review,
                # every row refused, nothing applied.
                agency_import = AgencyImport.objects.order_by("-pk").first()
                assert agency_import is not None and agency_import.status != "applied", where
                assert changed(before, snapshot()) == ["agency.AgencyImport"], where
                page = client.get(response["Location"])
                assert page.status_code == 200 and not raw_markup_in(page.content.decode()), where
                continue
            _assert_bilingual_refusal(response, where)
            assert not changed(before, snapshot()), where


def test_agency_import_api_refuses_hostile_files(world):
    for kind in ImportKind.values:
        from muqeem.agency.imports import IMPORT_SOURCES

        client = _api_client(world, IMPORT_SOURCES[kind])
        url = reverse("agency_api:imports", args=[kind])
        for case, name, content in hostile_files():
            upload = io.BytesIO(content)
            upload.name = name
            response = client.post(url + "?dry_run=true", {"file": upload}, format="multipart")
            where = f"agency api {kind} {case}"
            assert response.status_code < 500, where
            if response.status_code >= 400:
                body = response.json()
                assert body["code"] and set(body["messages"]) == {"ar", "en"}, where


def test_exception_attachments_refuse_hostile_files(world):
    client = portal_login(world.main)
    url = reverse("exception_requests:file")

    def data() -> dict[str, Any]:
        resident = ResidentFactory(
            establishment=world.est,
            iqama_expiry_date=today() - timedelta(days=10),
            late_renewal_count=2,
        )
        return {
            "iqama_number": resident.iqama_number,
            "code": ["LATE_RENEWAL_LIMIT_REACHED"],
            "reason": "In hospital.",
        }

    cases = [
        *hostile_files(),
        ("oversized PDF", "big.pdf", PDF + b"0" * (5 * 1024 * 1024)),
        ("HTML behind a PDF header", "page.pdf", b"%PDF-<html><script>alert(1)</script>"),
        ("an SVG named .png", "image.png", b"<svg onload=alert(1)></svg>"),
    ]
    for case, name, content in cases:
        fields = data()
        before = snapshot()
        upload = io.BytesIO(content)
        upload.name = name
        response = client.post(url, {**fields, "attachments": [upload]})
        where = f"attachment {case}"
        assert response.status_code < 500, where
        if response.status_code == 302:
            # Accepted only with a PDF, JPEG or PNG header; the name is stored without its path.
            attachment = ExceptionAttachment.objects.order_by("-pk").first()
            assert attachment is not None and content.startswith(b"%PDF-"), where
            assert "/" not in attachment.original_name, where
            assert "\\" not in attachment.original_name, where
            page = client.get(response["Location"])
            assert not raw_markup_in(page.content.decode()), where
            served = client.get(
                reverse(
                    "exception_requests:attachment",
                    args=[attachment.exception_request.number, attachment.pk],
                )
            )
            assert served["Content-Type"] == "application/pdf", where
            assert served["X-Content-Type-Options"] == "nosniff", where
            assert served["Content-Disposition"].startswith("attachment"), where
            continue
        _assert_bilingual_refusal(response, where)
        assert not changed(before, snapshot()), where


# --- Formula injection in exports ------------------------------------------------------------------

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _xlsx_cells(content: bytes) -> Iterator[Any]:
    workbook = load_workbook(io.BytesIO(content))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            yield from row


def assert_no_formula_in_xlsx(content: bytes, where: str) -> list[str]:
    """No cell is a formula, and no text cell starts with a character that makes a spreadsheet read
    it as one; the texts, for the caller to find its values in."""
    texts = []
    for cell in _xlsx_cells(content):
        assert cell.data_type != "f", f"{where}: {cell.coordinate} is a formula: {cell.value!r}"
        if isinstance(cell.value, str):
            assert not cell.value.startswith(TRIGGERS), f"{where}: {cell.coordinate} {cell.value!r}"
            texts.append(cell.value)
    return texts


def assert_no_formula_in_csv(content: bytes, where: str) -> list[str]:
    import csv

    texts = []
    for row in csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")):
        for value in row:
            assert not value.startswith(TRIGGERS), f"{where}: {value!r}"
            texts.append(value)
    return texts


def _content(response: Any) -> bytes:
    assert response.status_code == 200, response.status_code
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def test_formulas_typed_anywhere_leave_every_export_as_text(
    world, django_capture_on_commit_callbacks
):
    # Residents named with every formula form (the names are what an officer types).
    for index, formula in enumerate(FORMULAS):
        ResidentFactory(establishment=world.est, name_en=formula, name_ar=f"{formula} {index}")
    portal = portal_login(world.main)
    texts = assert_no_formula_in_xlsx(
        _content(portal.get(reverse("residents:export_xlsx"))), "residents.xlsx"
    )
    assert "'" + FORMULAS[0] in texts
    for name in ("reports:transactions_xlsx", "reports:statement_xlsx"):
        assert_no_formula_in_xlsx(_content(portal.get(reverse(name))), name)

    # An audit event whose every text column holds a formula (a user name, a request id from a
    # header, details typed into a form).
    formula_user = UserFactory(establishment=world.est, username="=cmd|' /C calc'!A0")
    AuditEvent(
        occurred_at=world.est.created_at,
        event_type=1,
        actor_user=formula_user,
        actor_establishment=world.est,
        resident=world.resident,
        extra_data={"reason": FORMULAS[0]},
        request_id="@SUM(1+1)",
        ip="127.0.0.1",
    ).save()
    staff = staff_login(world.supervisor)
    csv_texts = assert_no_formula_in_csv(
        _content(staff.get(reverse("oversight:audit_csv"))), "audit.csv"
    )
    assert "'=cmd|' /C calc'!A0" in csv_texts and "'@SUM(1+1)" in csv_texts
    assert_no_formula_in_xlsx(_content(staff.get(reverse("oversight:audit_xlsx"))), "audit.xlsx")
    for table in TABLE_BUILDERS:
        response = staff.get(reverse("oversight:statistics_csv", args=[table]))
        assert_no_formula_in_csv(_content(response), f"statistics {table}")

    # A bulk file whose cells and name are formulas: the result file shows them as text.
    rows = [[formula, formula, formula] for formula in FORMULAS]
    content = _bulk_csv(rows)
    upload = io.BytesIO(content)
    upload.name = "=HYPERLINK(1).csv"
    with django_capture_on_commit_callbacks(execute=True):
        response = portal.post(reverse("bulk:index"), {"file": upload})
    assert response.status_code == 302, response.status_code
    batch = BulkBatch.objects.order_by("-pk").first()
    assert batch is not None
    result = _content(portal.get(reverse("bulk:result", args=[batch.pk])))
    texts = assert_no_formula_in_xlsx(result, "bulk result")
    assert "'" + FORMULAS[0] in texts


# --- Digits Python calls digits but int() refuses ---------------------------------------------------

# "²".isdigit() and "①".isdigit() are true, but int() refuses them; so does a 5,000-digit string
# (Python's limit on converting long digit strings). A view that checks isdigit() then calls int()
# turns these into a 500.
NOT_INTS = ["²", "①", "٣²", "9" * 5000]


def test_final_exit_confirm_refuses_dependents_that_are_not_numbers(world):
    client = portal_login(world.main)
    resident = ResidentFactory(establishment=world.est)
    DependentFactory(resident=resident)
    check = client.post(reverse("final_exit:issue"), {"iqama_number": resident.iqama_number})
    token = check.context["token"]
    assert token, "the resident is eligible, so the check page carries a token"
    for value in NOT_INTS:
        before = snapshot()
        response = client.post(
            reverse("final_exit:issue_confirm"), {"token": token, "dependents": [value]}
        )
        assert response.status_code < 500, value
        assert response.status_code >= 400 or response.status_code == 302, value
        if response.status_code >= 400:
            assert not changed(before, snapshot()), value


def test_api_residents_cursor_refuses_digits_that_are_not_numbers(world):
    import base64

    from muqeem.api.apis.residents import _CURSOR_TAG

    client = _api_client(world, ESTABLISHMENT_KEY)
    for value in NOT_INTS:
        cursor = base64.urlsafe_b64encode(f"{_CURSOR_TAG}{value}".encode()).decode().rstrip("=")
        response = client.get(reverse("api:residents"), {"cursor": cursor})
        assert response.status_code < 500, value
