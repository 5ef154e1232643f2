from __future__ import annotations

from datetime import date, timedelta

import pytest
from rest_framework.test import APIClient

from muqeem.agency import imports
from muqeem.agency.models import AgencyImport, AgencyRecord, ImportKind, TrafficFine
from muqeem.agency.services import agency_import_apply, agency_import_check, traffic_fine_issue
from muqeem.core.errors import DomainError
from muqeem.integrations.models import IntegrationKind
from tests.factories import ResidentFactory

from .conftest import credential_client

pytestmark = pytest.mark.django_db
TODAY = date.today()
LATER = (TODAY + timedelta(days=300)).isoformat()


def csv_bytes(*lines: str, bom: bool = False) -> bytes:
    text = "\n".join(lines) + "\n"
    return text.encode("utf-8-sig" if bom else "utf-8")


def snapshot(*residents) -> list[tuple]:
    out = []
    for r in residents:
        r.refresh_from_db()
        out.append(
            (
                r.insurance_active,
                r.insurance_expiry_date,
                r.fingerprint_registered,
                r.registered_vehicles,
                r.unpaid_traffic_fines_halalas,
                r.absent_from_work_reported,
                r.status,
                r.version,
            )
        )
    return out


@pytest.fixture
def two(establishment):
    return ResidentFactory(establishment=establishment), ResidentFactory(
        establishment=establishment
    )


# --- Rows as tables ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "row", "column", "code"),
    [
        (ImportKind.INSURANCE, "2999999995,yes,{later}", "iqama_number", "IQAMA_NUMBER_INVALID"),
        (ImportKind.INSURANCE, "{iqama},maybe,{later}", "insurance_active", "VALIDATION_FAILED"),
        (ImportKind.INSURANCE, "{iqama},yes,", "insurance_expiry_date", "VALIDATION_FAILED"),
        (
            ImportKind.INSURANCE,
            "{iqama},yes,31/02/2027",
            "insurance_expiry_date",
            "VALIDATION_FAILED",
        ),
        (ImportKind.INSURANCE, "2999999994,no,", "iqama_number", "RESIDENT_UNKNOWN"),
        (ImportKind.VEHICLES, "{iqama},-1", "registered_vehicles", "VALIDATION_FAILED"),
        (ImportKind.VEHICLES, "{iqama},1000", "registered_vehicles", "VALIDATION_FAILED"),
        (ImportKind.VEHICLES, "{iqama},two", "registered_vehicles", "VALIDATION_FAILED"),
        (ImportKind.FINGERPRINT, "{iqama},", "fingerprint_registered", "VALIDATION_FAILED"),
        (ImportKind.ABSENCE, "{iqama},vanish", "action", "VALIDATION_FAILED"),
        (
            ImportKind.TRAFFIC_FINES,
            "F1,{iqama},0,Speeding,{today}",
            "amount_sar",
            "VALIDATION_FAILED",
        ),
        (
            ImportKind.TRAFFIC_FINES,
            "F1,{iqama},-5,Speeding,{today}",
            "amount_sar",
            "VALIDATION_FAILED",
        ),
        (
            ImportKind.TRAFFIC_FINES,
            "F1,{iqama},1.234,Speeding,{today}",
            "amount_sar",
            "VALIDATION_FAILED",
        ),
        (ImportKind.TRAFFIC_FINES, "F1,{iqama},100,,{today}", "violation", "VALIDATION_FAILED"),
        (
            ImportKind.TRAFFIC_FINES,
            "F1,{iqama},100,Speeding,{later}",
            "issued_on",
            "VALIDATION_FAILED",
        ),
        (
            ImportKind.TRAFFIC_FINES,
            "F 1!,{iqama},100,Speeding,{today}",
            "fine_number",
            "VALIDATION_FAILED",
        ),
        (ImportKind.TRAFFIC_PAYMENTS, "NOPE-1,,", "fine_number", "TRAFFIC_FINE_NOT_FOUND"),
    ],
)
def test_a_bad_row_is_reported_with_its_column_in_both_languages(
    operator, resident, kind, row, column, code
):
    header = ",".join(c.key for c in imports.COLUMNS[kind])
    line = row.format(iqama=resident.iqama_number, later=LATER, today=TODAY.isoformat())
    before = snapshot(resident)
    checked = agency_import_check(kind=kind, data=csv_bytes(header, line), actor=operator)
    assert checked.error_count == 1
    [error] = checked.errors
    assert (error["row"], error["column"], error["code"]) == (2, column, code)
    assert error["messages"]["ar"] and error["messages"]["en"]
    assert error["messages"]["ar"] != error["messages"]["en"]
    assert snapshot(resident) == before
    with pytest.raises(DomainError) as refused:
        agency_import_apply(agency_import_id=checked.pk, actor=operator)
    assert refused.value.code == "AGENCY_IMPORT_INVALID"
    assert snapshot(resident) == before
    assert AgencyRecord.objects.count() == 0


@pytest.mark.parametrize(
    ("kind", "cells", "field", "expected"),
    [
        (ImportKind.INSURANCE, "no,", "insurance_active", False),
        (ImportKind.INSURANCE, "نعم,٣١/١٢/٢٠٣٠", "insurance_expiry_date", date(2030, 12, 31)),
        (ImportKind.FINGERPRINT, "لا", "fingerprint_registered", False),
        (ImportKind.VEHICLES, "٢", "registered_vehicles", 2),
        (ImportKind.ABSENCE, "report", "absent_from_work_reported", True),
    ],
)
def test_a_good_row_is_previewed_then_applied(operator, resident, kind, cells, field, expected):
    header = ",".join(header_cell for header_cell in _headers(kind))
    iqama = resident.iqama_number.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    data = csv_bytes(header, f"{iqama},{cells}", bom=True)
    checked = agency_import_check(kind=kind, data=data, filename="x.csv", actor=operator)
    assert checked.errors == [] and checked.change_count == 1
    assert checked.changes[0]["field"] == field
    resident.refresh_from_db()
    assert getattr(resident, field) != expected
    agency_import_apply(agency_import_id=checked.pk, actor=operator)
    resident.refresh_from_db()
    assert getattr(resident, field) == expected
    assert AgencyRecord.objects.filter(resident=resident, agency_import=checked).count() == 1


def _headers(kind):
    """The template's own header (Arabic label / key), as a partner would keep it."""
    return [imports.header_text(c) for c in imports.COLUMNS[kind]]


def test_the_template_reads_back(operator, resident):
    for kind in ImportKind.values:
        rows = imports.read_rows(kind, imports.template_csv(kind).decode("utf-8-sig"))
        assert rows and set(rows[0].values) == {c.key for c in imports.COLUMNS[kind]}


# --- All or nothing, and idempotent ---------------------------------------------------------------


def test_one_bad_row_applies_nothing(operator, two):
    a, b = two
    data = csv_bytes(
        "iqama_number,registered_vehicles", f"{a.iqama_number},3", f"{b.iqama_number},many"
    )
    before = snapshot(a, b)
    checked = agency_import_check(kind=ImportKind.VEHICLES, data=data, actor=operator)
    assert checked.row_count == 2 and checked.error_count == 1 and checked.change_count == 1
    with pytest.raises(DomainError):
        agency_import_apply(agency_import_id=checked.pk, actor=operator)
    assert snapshot(a, b) == before
    checked.refresh_from_db()
    assert checked.status == "dry_run"


def test_applying_twice_changes_nothing_the_second_time(operator, hr_officer, two):
    a, b = two
    data = csv_bytes(
        "fine_number,iqama_number,amount_sar,violation,issued_on",
        f"T-1,{a.iqama_number},500,Speeding,{TODAY}",
        f"T-2,{a.iqama_number},150.50,Parking,{TODAY}",
        f"T-3,{b.iqama_number},٣٠٠,Red light,{TODAY}",
    )
    checked = agency_import_check(kind=ImportKind.TRAFFIC_FINES, data=data, actor=operator)
    assert checked.change_count == 3
    assert agency_import_apply(agency_import_id=checked.pk, actor=operator).replayed is False
    after = snapshot(a, b)
    assert after[0][4] == 65_050 and after[1][4] == 30_000
    records = AgencyRecord.objects.count()
    assert agency_import_apply(agency_import_id=checked.pk, actor=operator).replayed is True
    assert snapshot(a, b) == after and AgencyRecord.objects.count() == records
    # The same file uploaded again finds nothing to change.
    again = agency_import_check(kind=ImportKind.TRAFFIC_FINES, data=data, actor=operator)
    assert again.change_count == 0 and again.errors == []
    agency_import_apply(agency_import_id=again.pk, actor=operator)
    assert snapshot(a, b) == after and TrafficFine.objects.count() == 3


def test_payments_file_clears_the_block(operator, hr_officer, resident):
    from muqeem.eservices.iqama_renewal.services import iqama_renewal_check

    traffic_fine_issue(
        number="P-1",
        iqama_number=resident.iqama_number,
        amount_halalas=20_000,
        violation="Parking",
        issued_on=TODAY,
        actor=operator,
    )
    data = csv_bytes("fine_number,paid_on,payment_reference", f"p-1,{TODAY},S-9")
    checked = agency_import_check(kind=ImportKind.TRAFFIC_PAYMENTS, data=data, actor=operator)
    assert checked.change_count == 1 and checked.changes[0]["iqama_number"] == resident.iqama_number
    agency_import_apply(agency_import_id=checked.pk, actor=operator)
    check = iqama_renewal_check(
        actor=hr_officer, iqama_number=resident.iqama_number, period_months=12
    )
    assert "UNPAID_TRAFFIC_FINES" not in {str(v.code) for v in check.violations}


def test_data_changed_since_the_dry_run_is_checked_again(operator, resident):
    data = csv_bytes(
        "fine_number,iqama_number,amount_sar,violation,issued_on",
        f"C-1,{resident.iqama_number},100,Speeding,{TODAY}",
    )
    checked = agency_import_check(kind=ImportKind.TRAFFIC_FINES, data=data, actor=operator)
    assert checked.errors == []
    traffic_fine_issue(
        number="C-1",
        iqama_number=resident.iqama_number,
        amount_halalas=99_900,
        violation="Other",
        issued_on=TODAY,
        actor=operator,
    )
    with pytest.raises(DomainError):
        agency_import_apply(agency_import_id=checked.pk, actor=operator)
    checked.refresh_from_db()
    assert checked.error_count == 1 and checked.errors[0]["code"] == "IDEMPOTENCY_CONFLICT"


def test_duplicate_rows_are_errors(operator, resident):
    data = csv_bytes(
        "iqama_number,action",
        f"{resident.iqama_number},report",
        f"{resident.iqama_number},withdraw",
    )
    checked = agency_import_check(kind=ImportKind.ABSENCE, data=data, actor=operator)
    assert [(e["row"], e["column"]) for e in checked.errors] == [(3, "iqama_number")]


# --- Hostile files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (
            "iqama_number,registered_vehicles\n2100000005,1\n".encode("utf-16"),
            "BULK_FILE_UNREADABLE",
        ),
        ("رقم الإقامة,registered_vehicles\n".encode("cp1256"), "BULK_FILE_ENCODING"),
        (b"", "BULK_FILE_EMPTY"),
        (b"iqama_number,registered_vehicles\n", "BULK_FILE_EMPTY"),
        (b"PK\x03\x04binary", "BULK_FILE_UNREADABLE"),
        (b"iqama_number,colour\n2100000005,red\n", "BULK_COLUMNS_INVALID"),
        (b"x" * (imports.MAX_FILE_BYTES + 1), "BULK_FILE_TOO_LARGE"),
        (
            b"iqama_number,registered_vehicles\n" + b"2100000005,1\n" * (imports.MAX_ROWS + 1),
            "BULK_TOO_MANY_ROWS",
        ),
    ],
)
def test_a_hostile_file_is_refused_whole_and_kept_nowhere(operator, data, code):
    with pytest.raises(DomainError) as refused:
        agency_import_check(kind=ImportKind.VEHICLES, data=data, actor=operator)
    assert refused.value.code == code
    assert refused.value.messages["ar"] and refused.value.messages["en"]
    assert AgencyImport.objects.count() == 0


# --- Through the API ------------------------------------------------------------------------------


def _upload(client: APIClient, kind: str, data: bytes, dry_run: bool):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = f"/api/agency/v1/imports/{kind}/" + ("?dry_run=true" if dry_run else "")
    return client.post(url, {"file": SimpleUploadedFile("f.csv", data, "text/csv")})


def test_api_dry_run_then_confirm(resident):
    client = credential_client(IntegrationKind.VEHICLES)
    data = csv_bytes("iqama_number,registered_vehicles", f"{resident.iqama_number},4")
    dry = _upload(client, "vehicles", data, dry_run=True)
    assert dry.status_code == 201, dry.json()
    body = dry.json()
    assert body["status"] == "dry_run" and body["would_change"][0]["new"] == 4
    resident.refresh_from_db()
    assert resident.registered_vehicles == 0
    confirm = client.post(f"/api/agency/v1/imports/vehicles/{body['id']}/confirm/")
    assert confirm.status_code == 200 and confirm.json()["status"] == "applied"
    again = client.post(f"/api/agency/v1/imports/vehicles/{body['id']}/confirm/")
    assert again.json()["replayed"] is True
    resident.refresh_from_db()
    assert resident.registered_vehicles == 4


def test_api_upload_with_errors_applies_nothing(two):
    a, b = two
    client = credential_client(IntegrationKind.BIOMETRIC)
    data = csv_bytes(
        "iqama_number,fingerprint_registered", f"{a.iqama_number},no", f"{b.iqama_number},perhaps"
    )
    out = _upload(client, "fingerprint", data, dry_run=False)
    assert out.status_code == 400
    body = out.json()
    assert body["code"] == "AGENCY_IMPORT_INVALID"
    assert body["errors"] == [
        {
            "row": 3,
            "column": "fingerprint_registered",
            "code": "VALIDATION_FAILED",
            "messages": body["errors"][0]["messages"],
        }
    ]
    a.refresh_from_db()
    assert a.fingerprint_registered is True


def test_api_file_of_another_agency_is_403(resident):
    client = credential_client(IntegrationKind.INSURANCE)
    data = csv_bytes("iqama_number,registered_vehicles", f"{resident.iqama_number},4")
    out = _upload(client, "vehicles", data, dry_run=True)
    assert out.status_code == 403 and out.json()["code"] == "PERMISSION_DENIED"
    assert AgencyImport.objects.count() == 0
    own = credential_client(IntegrationKind.VEHICLES)
    dry = _upload(own, "vehicles", data, dry_run=True).json()
    other_vehicles = credential_client(IntegrationKind.VEHICLES)
    stolen = other_vehicles.post(f"/api/agency/v1/imports/vehicles/{dry['id']}/confirm/")
    assert stolen.status_code == 404


# --- Through the pages ----------------------------------------------------------------------------


def test_page_upload_dry_run_then_confirm(operator_client, resident):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = csv_bytes(
        ",".join(_headers(ImportKind.INSURANCE)), f"{resident.iqama_number},no,", bom=True
    )
    out = operator_client.post(
        "/authority/agency/imports/insurance/", {"file": SimpleUploadedFile("i.csv", data)}
    )
    assert out.status_code == 302
    detail = operator_client.get(out["Location"])
    assert b'id="confirm-import"' in detail.content and b'id="row-errors"' not in detail.content
    resident.refresh_from_db()
    assert resident.insurance_active is True
    imp = AgencyImport.objects.get()
    confirm = operator_client.post(f"/authority/agency/imports/insurance/{imp.pk}/confirm/")
    assert confirm.status_code == 302
    resident.refresh_from_db()
    assert resident.insurance_active is False


def test_page_shows_row_errors_and_no_confirm_button(operator_client, resident):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = csv_bytes("iqama_number,action", f"{resident.iqama_number},explode")
    out = operator_client.post(
        "/authority/agency/imports/absence/", {"file": SimpleUploadedFile("a.csv", data)}
    )
    detail = operator_client.get(out["Location"])
    assert b'id="row-errors"' in detail.content and b'data-row="2"' in detail.content
    assert b'id="confirm-import"' not in detail.content


def test_page_refuses_a_wrongly_encoded_file_clearly(operator_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = "رقم الإقامة,action\n".encode("cp1256")
    out = operator_client.post(
        "/authority/agency/imports/absence/", {"file": SimpleUploadedFile("a.csv", data)}
    )
    assert out.status_code == 400
    assert b'data-code="BULK_FILE_ENCODING"' in out.content


def test_template_download(operator_client):
    out = operator_client.get("/authority/agency/imports/traffic_fines/template.csv")
    assert out["Content-Type"] == "text/csv"
    assert out.content.startswith("\ufeff".encode())
    assert "رقم المخالفة / fine_number".encode() in out.content or b"fine_number" in out.content


def test_page_without_a_file_is_400_with_the_field_error_and_imports_nothing(operator_client):
    from muqeem.agency.models import AgencyImport

    out = operator_client.post("/authority/agency/imports/absence/", {})
    assert out.status_code == 400
    assert out.context["form"].errors["file"]
    assert not AgencyImport.objects.exists()
