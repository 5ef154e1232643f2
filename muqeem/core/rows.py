"""Model instances read by a hand-written SELECT, exactly as the ORM would build them.

For the few reads on the hottest paths (an API key per API request, the resident file by API) the
ORM's query compiler costs more than the rest of the read: building the column list, the joins and
the converters again on every request. `ModelColumns` does that work once per model, table alias and
database connection: the select list, in the model's field order, and the converters the ORM applies
(the backend's and the field's own `from_db_value`), so `load()` returns the instance
`Model.from_db` would. The columns come from the model's `_meta`, so a field added by a migration is
read too.

Only for reads of whole rows by a key, joined by hand; anything else stays with the ORM."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model

M = TypeVar("M", bound=Model)

Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]


class ModelColumns(Generic[M]):
    """The concrete columns of `model` under the table alias `alias`."""

    def __init__(self, model: type[M], alias: str) -> None:
        self.model = model
        self.alias = alias
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [f.attname for f in self.fields]
        self.width = len(self.fields)
        # Per connection object: its quoting and its backend's converters.
        self._prepared: weakref.WeakKeyDictionary[
            BaseDatabaseWrapper, tuple[str, list[tuple[int, list[Converter], Any]]]
        ] = weakref.WeakKeyDictionary()

    def _prepare(
        self, connection: BaseDatabaseWrapper
    ) -> tuple[str, list[tuple[int, list[Converter], Any]]]:
        prepared = self._prepared.get(connection)
        if prepared is None:
            qn = connection.ops.quote_name
            table = qn(self.alias)
            select = ", ".join(f"{table}.{qn(f.column)}" for f in self.fields)
            converters = []
            for position, field in enumerate(self.fields):
                col = field.get_col(self.alias)
                convs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                if convs:
                    converters.append((position, convs, col))
            prepared = (select, converters)
            self._prepared[connection] = prepared
        return prepared

    def select(self, connection: BaseDatabaseWrapper) -> str:
        """`"alias"."column", …` for a SELECT list."""
        return self._prepare(connection)[0]

    def load(self, connection: BaseDatabaseWrapper, row: Sequence[Any], start: int = 0) -> M:
        """The instance held by `row[start:start + width]`."""
        values = list(row[start : start + self.width])
        for position, convs, col in self._prepare(connection)[1]:
            value = values[position]
            for convert in convs:
                value = convert(value, col, connection)
            values[position] = value
        return self.model.from_db(connection.alias, self.attnames, values)
