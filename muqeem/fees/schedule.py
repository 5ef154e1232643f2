"""The effective-dated schedule of fees and rule parameters.

Every amount, period and limit a rule or a fee calculator uses is a key here, with the default the
directorate published (DOMAIN.md) loaded by a migration. Staff add rows with a later `effective_from`
to change a value from that day; history is kept because rows are never edited in place.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Kind(StrEnum):
    MONEY = "money"  # integer halalas
    MONEY_LIST = "money_list"
    INT = "int"
    INT_LIST = "int_list"
    BOOL = "bool"


@dataclass(frozen=True)
class Key:
    name: str
    kind: Kind
    default: Any
    label: Promise


KEYS: tuple[Key, ...] = (
    Key(
        "renewal.periods_months",
        Kind.INT_LIST,
        [3, 6, 9, 12],
        _("Iqama renewal durations offered (months)"),
    ),
    Key(
        "renewal.max_horizon_months",
        Kind.INT,
        24,
        _("Longest time from today to a renewed iqama's expiry (months)"),
    ),
    Key("renewal.iqama_fee_per_year", Kind.MONEY, 65000, _("Iqama fee per year")),
    Key("renewal.work_permit_fee_per_year", Kind.MONEY, 10000, _("Work permit fee per year")),
    Key("renewal.expat_levy_per_month", Kind.MONEY, 80000, _("Expat levy per month")),
    Key(
        "renewal.expat_levy_per_month_saudi_majority",
        Kind.MONEY,
        70000,
        _("Expat levy per month where Saudis are the majority"),
    ),
    Key(
        "renewal.dependents_levy_per_month",
        Kind.MONEY,
        40000,
        _("Dependents levy per dependent per month"),
    ),
    Key(
        "renewal.late_grace_days",
        Kind.INT,
        3,
        _("Days after expiry before a renewal counts as late"),
    ),
    Key(
        "renewal.late_fines",
        Kind.MONEY_LIST,
        [50000, 100000],
        _(
            "Late renewal fine for the 1st, 2nd, … late renewal; later ones are not renewable online"
        ),
    ),
    Key(
        "renewal.abroad_fee_multiplier",
        Kind.INT,
        2,
        _("Iqama fee multiplier for domestic workers renewed while abroad"),
    ),
    Key(
        "renewal.min_passport_validity_days",
        Kind.INT,
        1,
        _("Days a passport must still be valid to renew an iqama"),
    ),
    # Exit and re-entry visas
    Key("visa.single_base_fee", Kind.MONEY, 20000, _("Single exit/re-entry visa fee, base period")),
    Key("visa.single_base_months", Kind.INT, 2, _("Months covered by the single visa's base fee")),
    Key("visa.single_extra_month_fee", Kind.MONEY, 10000, _("Single visa fee per extra month")),
    Key(
        "visa.multiple_base_fee",
        Kind.MONEY,
        50000,
        _("Multiple exit/re-entry visa fee, base period"),
    ),
    Key(
        "visa.multiple_base_months",
        Kind.INT,
        3,
        _("Months covered by the multiple visa's base fee"),
    ),
    Key("visa.multiple_extra_month_fee", Kind.MONEY, 20000, _("Multiple visa fee per extra month")),
    Key("visa.max_months", Kind.INT, 24, _("Longest exit/re-entry visa (months)")),
    Key(
        "visa.days_per_month",
        Kind.INT,
        30,
        _("Days counted as one month when a visa is given in days"),
    ),
    Key(
        "visa.min_passport_validity_days",
        Kind.INT,
        90,
        _("Days a passport must still be valid to issue a visa"),
    ),
    Key(
        "visa.travel_window_months",
        Kind.INT,
        3,
        _("Months to travel on a visa whose duration is in months"),
    ),
    Key(
        "visa.extension_grace_days",
        Kind.INT,
        60,
        _("Days after a visa expired during which it can still be extended"),
    ),
    Key(
        "visa.extension_abroad_multiplier",
        Kind.INT,
        1,
        _("Multiplier of the extra-month fee when extending from abroad"),
    ),
    Key(
        "visa.cancel_window_days",
        Kind.INT,
        90,
        _("Days after issue during which an unused visa can be cancelled"),
    ),
    Key(
        "visa.unused_fine",
        Kind.MONEY,
        100000,
        _("Fine for a visa that expired unused and was not cancelled"),
    ),
    Key(
        "visa.not_returned_after_months",
        Kind.INT,
        2,
        _("Months after a visa expired before the resident counts as not returned"),
    ),
    # Final exit
    Key("final_exit.fee", Kind.MONEY, 0, _("Final exit visa fee")),
    Key(
        "final_exit.leave_within_days",
        Kind.INT,
        60,
        _("Days to leave the kingdom on a final exit visa"),
    ),
    Key(
        "final_exit.cancel_window_days",
        Kind.INT,
        60,
        _("Days after issue during which a final exit can be cancelled free"),
    ),
    Key(
        "final_exit.expired_cancel_fee",
        Kind.MONEY,
        100000,
        _("Fee to cancel a final exit that expired unused"),
    ),
    Key(
        "final_exit.min_passport_validity_days",
        Kind.INT,
        60,
        _("Days a passport must still be valid for a final exit"),
    ),
    Key(
        "final_exit.fingerprint_min_age",
        Kind.INT,
        15,
        _("Age from which a fingerprint is required for a final exit"),
    ),
    Key(
        "final_exit.probation_days",
        Kind.INT,
        90,
        _("Days after arrival during which a probation final exit is possible"),
    ),
    # Iqama issuance
    Key(
        "issuance.window_days",
        Kind.INT,
        90,
        _("Days after arrival to issue the first iqama without a fine"),
    ),
    Key("issuance.late_fine", Kind.MONEY, 50000, _("Fine for issuing the first iqama late")),
    Key("issuance.period_months", Kind.INT, 12, _("Months of validity of a first iqama")),
    Key(
        "issuance.min_passport_validity_days",
        Kind.INT,
        90,
        _("Days a passport must still be valid to issue an iqama"),
    ),
    # Profession change
    Key("profession.change_fee", Kind.MONEY, 200000, _("Profession change fee")),
    Key(
        "profession.free_corrections",
        Kind.INT,
        1,
        _("Free corrections away from a generic title per resident"),
    ),
    # Transfer of services
    Key(
        "transfer.fees",
        Kind.MONEY_LIST,
        [200000, 400000, 600000],
        _("Transfer fee for the 1st, 2nd, 3rd and later transfer"),
    ),
    Key(
        "transfer.expiry_days",
        Kind.INT,
        10,
        _("Days the current sponsor has to answer a transfer request"),
    ),
    Key(
        "transfer.worker_consent_required",
        Kind.BOOL,
        False,
        _("The worker must consent to a transfer with a code sent to the worker's mobile"),
    ),
    # Wasel delivery
    Key("wasel.delivery_fee", Kind.MONEY, 3000, _("Wasel delivery fee (postage)")),
    Key(
        "wasel.lost_card_fees",
        Kind.MONEY_LIST,
        [100000, 200000, 300000],
        _("Replacement fee for the 1st, 2nd, 3rd and later lost card"),
    ),
    Key("wasel.damaged_card_fee", Kind.MONEY, 50000, _("Replacement fee for a damaged card")),
    # SADAD top-up bills
    Key("payments.bill_min_amount", Kind.MONEY, 10000, _("Smallest top-up bill")),
    Key("payments.bill_max_amount", Kind.MONEY, 100000000, _("Largest top-up bill")),
    Key("payments.bill_validity_days", Kind.INT, 30, _("Days a top-up bill can be paid")),
    # Exception requests
    Key(
        "exceptions.approval_valid_days",
        Kind.INT,
        30,
        _("Days an approved exception request can be used"),
    ),
)
KEYS_BY_NAME: Mapping[str, Key] = {k.name: k for k in KEYS}


@dataclass(frozen=True)
class Schedule:
    """The values in force on `as_of`, plus a fingerprint that changes whenever any of them does."""

    as_of: date
    values: Mapping[str, Any]
    fingerprint: str

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def int(self, name: str) -> int:
        return int(self.values[name])

    def ints(self, name: str) -> list[builtins.int]:
        return [int(v) for v in self.values[name]]


def default_schedule(as_of: date) -> Schedule:
    return Schedule(as_of=as_of, values={k.name: k.default for k in KEYS}, fingerprint="defaults")
