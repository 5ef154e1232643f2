"""The portal's URLs plus two bare reference views, for the benchmark only (`config.settings.bench`).

The bare views go through the same server, middleware and database connection as every page, but do
the least a request of their kind can do, so each real figure is reported as a ratio to its bare
reference measured in the same run on the same machine:

* bare write: `POST /bench/bare/write/<iqama>/` — in one transaction, lock the establishment row,
  lock the resident row, update one column of the resident: three statements;
* bare read: `GET /bench/bare/read/<iqama>/` — one indexed single-row SELECT, returned as JSON.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from config.urls import urlpatterns as portal_urlpatterns


@csrf_exempt
@require_POST
def bare_write(request: HttpRequest, iqama_number: str) -> HttpResponse:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.id FROM establishments_establishment e"
            " JOIN residents_resident r ON r.establishment_id = e.id"
            " WHERE r.iqama_number = %s FOR UPDATE OF e",
            [iqama_number],
        )
        row = cursor.fetchone()
        if row is None:
            raise Http404
        cursor.execute(
            "SELECT id FROM residents_resident WHERE iqama_number = %s FOR UPDATE", [iqama_number]
        )
        (resident_id,) = cursor.fetchone()
        cursor.execute(
            "UPDATE residents_resident SET updated_at = now() WHERE id = %s", [resident_id]
        )
    return JsonResponse({"ok": True}, status=201)


@require_GET
def bare_read(request: HttpRequest, iqama_number: str) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT iqama_number, name_en, iqama_expiry_date::text, status, version"
            " FROM residents_resident WHERE iqama_number = %s",
            [iqama_number],
        )
        row = cursor.fetchone()
    if row is None:
        raise Http404
    keys = ("iqama_number", "name_en", "iqama_expiry_date", "status", "version")
    return JsonResponse(dict(zip(keys, row, strict=True)))


urlpatterns = [
    path("bench/bare/write/<str:iqama_number>/", bare_write, name="bench-bare-write"),
    path("bench/bare/read/<str:iqama_number>/", bare_read, name="bench-bare-read"),
    *portal_urlpatterns,
]
