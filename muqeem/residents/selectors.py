"""Reads of residents, always scoped to the actor's establishment: another establishment's resident
is indistinguishable from one that does not exist."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet

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


class CodeName(NamedTuple):
    """A nationality or a profession as the API shows it."""

    code: str
    name_ar: str
    name_en: str


@dataclass(frozen=True)
class ResidentCard:
    """A resident, its nationality and profession, and its active dependents by id."""

    resident: Resident
    nationality: CodeName
    profession: CodeName
    dependents: list[DependentRow]


_RESIDENT = ModelColumns(Resident, "r")
# The nationality's and the profession's code and names, and the active dependents (the fields of
# `DependentRow`), each as one JSON array from a scalar subquery in the resident's row: one
# statement instead of two, and a plan cheaper to make than the three-table join's. Dependents are
# NULL (PostgreSQL) or [] (SQLite) when none, and put in id order here, not by the database.
_CODE_NAME = ("code", "name_ar", "name_en")
_DEPENDENT_FIELDS = ("id", "name_ar", "name_en", "relation", "iqama_number", "inside_kingdom")
_JSON_SUBQUERY = {
    "postgresql": "(SELECT {aggregate}(json_build_array({cols})){cast} FROM {table} x WHERE {where})",
    "sqlite": "(SELECT {aggregate}(json_array({cols})) FROM {table} x WHERE {where})",
}
_AGGREGATE = {"postgresql": "json_agg", "sqlite": "json_group_array"}
_card_sql: dict[str, str] = {}


def _json_subquery(
    connection: BaseDatabaseWrapper,
    model: type[Model],
    fields: tuple[str, ...],
    where: str,
    *,
    many: bool,
) -> str:
    qn = connection.ops.quote_name
    column = {f.name: qn(f.column) for f in model._meta.concrete_fields}
    return _JSON_SUBQUERY[connection.vendor].format(
        aggregate=_AGGREGATE[connection.vendor] if many else "",
        cols=", ".join(f"x.{column[name]}" for name in fields),
        cast="::text" if connection.vendor == "postgresql" else "",
        table=qn(model._meta.db_table),
        where=where.format(**column),
    )


def _resident_card_sql(connection: BaseDatabaseWrapper) -> str:
    sql = _card_sql.get(connection.vendor)
    if sql is None:
        qn = connection.ops.quote_name
        meta = Resident._meta
        column = {f.name: qn(f.column) for f in meta.concrete_fields}
        nationality = _json_subquery(
            connection,
            Nationality,
            _CODE_NAME,
            f"x.{{code}} = r.{column['nationality']}",
            many=False,
        )
        profession = _json_subquery(
            connection, Profession, _CODE_NAME, f"x.{{code}} = r.{column['profession']}", many=False
        )
        dependents = _json_subquery(
            connection,
            Dependent,
            _DEPENDENT_FIELDS,
            f"x.{{resident}} = r.{column['id']} AND x.{{is_active}}",
            many=True,
        )
        sql = (
            f"SELECT {_RESIDENT.select(connection)}, {nationality}, {profession}, {dependents}"  # noqa: S608 - names from the models
            f" FROM {qn(meta.db_table)} r"
            f" WHERE r.{column['establishment']} = %s AND r.{column['iqama_number']} = %s"
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
    nationality, profession, dependents = row[_RESIDENT.width :]
    return ResidentCard(
        resident=_RESIDENT.load(connection, row),
        nationality=CodeName(*json.loads(nationality)),
        profession=CodeName(*json.loads(profession)),
        dependents=sorted(
            DependentRow(pk, name_ar, name_en, relation, number, bool(inside))
            for pk, name_ar, name_en, relation, number, inside in json.loads(dependents or "[]")
        ),
    )


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
