"""The E-Services (الخدمات الإلكترونية) drop-down: one entry per service that is open to officers."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class MenuEntry:
    label: Promise
    url_name: str


ESERVICES_MENU: tuple[MenuEntry, ...] = (
    MenuEntry(_("Renew Iqama"), "iqama_renewal:renew"),
    MenuEntry(_("Issue iqama"), "iqama_issuance:issue"),
    MenuEntry(_("Exit and re-entry visa"), "exit_reentry:issue"),
    MenuEntry(_("Final exit"), "final_exit:issue"),
    MenuEntry(_("Final exit during probation"), "final_exit:probation"),
    MenuEntry(_("Profession change"), "profession_change:change"),
    MenuEntry(_("Passport information update"), "passport_update:update"),
    MenuEntry(_("Wasel delivery"), "delivery:list"),
    MenuEntry(_("Replace a lost or damaged iqama card"), "delivery:reprint"),
    MenuEntry(_("Bulk transactions"), "bulk:index"),
    MenuEntry(_("Transfer of services"), "service_transfer:request"),
    MenuEntry(_("Incoming requests"), "service_transfer:inbox"),
)
