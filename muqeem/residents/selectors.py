"""Reads of residents, always scoped to the actor's establishment: another establishment's resident
is indistinguishable from one that does not exist."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet

from muqeem.core.errors import DomainError, ErrorCode
from muqeem.core.ids import BORDER_FIRST_DIGITS, ID_LENGTH, iqama_number_problem, normalize_digits
from muqeem.core.rows import ModelColumns
from muqeem.residents.models import Dependent, Nationality, Profession, Resident

if TYPE_CHECKING:
    from muqeem.accounts.models import User


def parse_iqama_number(value: str) -> str:
    """Normalised iqama number, or a field error in both languages."""
    number = normalize_digits(value or "")
    if iqama_number_problem(number) is not None:
        raise DomainError(ErrorCode.IQAMA_NUMBER_INVALID)
    return number


def resident_qs_for(*, actor: User) -> QuerySet[Resident]:
    if actor.establishment_id is None:
        return Resident.objects.none()
    return Resident.objects.filter(establishment_id=actor.establishment_id)


def access_resident_by_iqama_number(
    *, actor: User, iqama_number: str, for_update: bool = False
) -> Resident:
    qs = resident_qs_for(actor=actor).select_related("nationality", "profession", "establishment")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    resident = qs.filter(iqama_number=iqama_number).first()
    if resident is None:
        raise DomainError(ErrorCode.RESIDENT_NOT_FOUND)
    return resident


class DependentRow(NamedTuple):
    """What the API shows of a dependent."""

    id: int
    name_ar: str
    name_en: str
    relation: str
    iqama_number: str | None
    inside_kingdom: bool


@dataclass(frozen=True)
class ResidentCard:
    """A resident (its nationality and profession loaded) and its active dependents, by id."""

    resident: Resident
    dependents: list[DependentRow]


_RESIDENT = ModelColumns(Resident, "r")
_NATIONALITY = ModelColumns(Nationality, "n")
_PROFESSION = ModelColumns(Profession, "p")
# The active dependents as one JSON array of arrays (the fields of `DependentRow`), in the same row
# as the resident: one statement instead of two. NULL (PostgreSQL) or [] (SQLite) when none; put in
# id order here, not by the database.
_DEPENDENT_FIELDS = ("id", "name_ar", "name_en", "relation", "iqama_number", "inside_kingdom")
_DEPENDENTS_JSON = {
    "postgresql": "(SELECT json_agg(json_build_array({cols}))::text"
    " FROM {table} d WHERE d.{fk} = r.{rpk} AND d.{active})",
    "sqlite": "(SELECT json_group_array(json_array({cols}))"
    " FROM {table} d WHERE d.{fk} = r.{rpk} AND d.{active})",
}
_card_sql: dict[str, str] = {}


def _resident_card_sql(connection: BaseDatabaseWrapper) -> str:
    sql = _card_sql.get(connection.vendor)
    if sql is None:
        qn = connection.ops.quote_name
        meta, dep = Resident._meta, Dependent._meta
        column = {f.name: qn(f.column) for f in dep.concrete_fields}
        dependents = _DEPENDENTS_JSON[connection.vendor].format(
            cols=", ".join(f"d.{column[name]}" for name in _DEPENDENT_FIELDS),
            table=qn(dep.db_table),
            fk=qn(dep.get_field("resident").column),
            rpk=qn(meta.pk.column),
            active=column["is_active"],
        )
        nationality, profession = meta.get_field("nationality"), meta.get_field("profession")
        sql = (
            f"SELECT {_RESIDENT.select(connection)}, {_NATIONALITY.select(connection)},"  # noqa: S608 - names from the models
            f" {_PROFESSION.select(connection)}, {dependents}"
            f" FROM {qn(meta.db_table)} r"
            f" INNER JOIN {qn(Nationality._meta.db_table)} n"
            f" ON n.{qn(Nationality._meta.pk.column)} = r.{qn(nationality.column)}"
            f" INNER JOIN {qn(Profession._meta.db_table)} p"
            f" ON p.{qn(Profession._meta.pk.column)} = r.{qn(profession.column)}"
            f" WHERE r.{qn(meta.get_field('establishment').column)} = %s"
            f" AND r.{qn(meta.get_field('iqama_number').column)} = %s"
        )
        _card_sql[connection.vendor] = sql
    return sql


def resident_card_by_iqama_number(*, actor: User, iqama_number: str) -> ResidentCard:
    """The actor's resident with this (normalised) number, its nationality, profession and active
    dependents, in one statement; another establishment's resident is `RESIDENT_NOT_FOUND`.

    Hand-written SQL (`muqeem.core.rows`): the ORM would compile a three-table select and a second
    query for the dependents on every call, which cost more than the database's work."""
    if actor.establishment_id is None:
        raise DomainError(ErrorCode.RESIDENT_NOT_FOUND)
    connection = connections[router.db_for_read(Resident)]
    with connection.cursor() as cursor:
        cursor.execute(_resident_card_sql(connection), [actor.establishment_id, iqama_number])
        row = cursor.fetchone()
    if row is None:
        raise DomainError(ErrorCode.RESIDENT_NOT_FOUND)
    resident = _RESIDENT.load(connection, row)
    start = _RESIDENT.width
    nationality = _NATIONALITY.load(connection, row, start)
    profession = _PROFESSION.load(connection, row, start + _NATIONALITY.width)
    Resident.nationality.field.set_cached_value(resident, nationality)
    Resident.profession.field.set_cached_value(resident, profession)
    dependents = sorted(
        DependentRow(pk, name_ar, name_en, relation, number, bool(inside))
        for pk, name_ar, name_en, relation, number, inside in json.loads(row[-1] or "[]")
    )
    return ResidentCard(resident=resident, dependents=dependents)


def parse_border_number(value: str) -> str:
    number = normalize_digits(value or "")
    if not (
        number.isascii()
        and number.isdigit()
        and len(number) == ID_LENGTH
        and number[0] in BORDER_FIRST_DIGITS
    ):
        raise DomainError(ErrorCode.BORDER_NUMBER_INVALID)
    return number


def access_resident_by_border_number(
    *, actor: User, border_number: str, for_update: bool = False
) -> Resident:
    qs = resident_qs_for(actor=actor).select_related("nationality", "profession", "establishment")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    resident = qs.filter(border_number=border_number).first()
    if resident is None:
        raise DomainError(ErrorCode.RESIDENT_NOT_FOUND)
    return resident


def resident_file(*, resident: Resident) -> dict[str, object]:
    """Everything the resident's file page shows, in a fixed number of queries."""
    from muqeem.delivery.selectors import deliveries_for_resident
    from muqeem.eservices.exit_reentry.models import Visa
    from muqeem.eservices.final_exit.models import FinalExit
    from muqeem.fees.models import Penalty

    return {
        "resident": resident,
        "dependents": list(resident.dependents.all()),
        "visas": list(
            Visa.objects.filter(resident=resident).select_related("unused_fine").order_by("-pk")
        ),
        "final_exits": list(FinalExit.objects.filter(resident=resident).order_by("-pk")),
        "fines": list(Penalty.objects.filter(resident=resident).order_by("-pk")),
        "history": list(resident.history.all()[:50]),
        "crossings": list(resident.crossings.select_related("visa", "final_exit").all()[:20]),
        "deliveries": deliveries_for_resident(resident),
    }
