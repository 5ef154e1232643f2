from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from muqeem.web.services_menu import ESERVICES_MENU


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    establishment = (
        getattr(user, "establishment", None) if user is not None and user.is_authenticated else None
    )
    return {"eservices_menu": ESERVICES_MENU, "current_establishment": establishment}
