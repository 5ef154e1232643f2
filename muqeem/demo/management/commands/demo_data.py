"""Idempotent demo data: two establishments, their users and ~200 residents in every situation the
renewal rules distinguish, so each rule can be seen from the UI. Running it again changes nothing."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from muqeem.accounts.models import User
from muqeem.accounts.permissions import Permission
from muqeem.agency.demo import seed_demo as agency_demo
from muqeem.border.models import Direction
from muqeem.border.services import border_crossing_record
from muqeem.core.dates import add_months, today
from muqeem.core.ids import make_iqama_number
from muqeem.eservices.exit_reentry.models import DurationUnit, VisaType
from muqeem.eservices.exit_reentry.services import VisaTerms, visa_issue
from muqeem.establishments.models import Establishment
from muqeem.exception_requests.demo import seed_demo as exception_requests_demo
from muqeem.fees.services import ledger_post_payment
from muqeem.payments.demo import seed_demo as payments_demo
from muqeem.residents.models import (
    Dependent,
    DependentRelation,
    Gender,
    Nationality,
    Profession,
    Resident,
    ResidentStatus,
)

DEMO_PASSWORD = "Muqeem@2026"  # noqa: S105 - printed for the demo; never used outside it


@dataclass(frozen=True)
class DemoEstablishment:
    moi: str
    name_ar: str
    name_en: str
    cr: str
    mobile: str
    saudis_majority: bool
    opening_balance_riyals: int
    residents: int
    main_user: str
    officer: str
    serial_base: int


ESTABLISHMENTS = (
    DemoEstablishment("7001234567", "شركة البناء الحديث للمقاولات", "Modern Construction Co.", "1010123456",
                      "966501234567", False, 500_000, 150, "modern.admin", "modern.officer", 10_000_000),
    DemoEstablishment("7009876543", "مؤسسة الواحة للخدمات", "Al Waha Services Est.", "4030987654",
                      "966559876543", True, 60_000, 50, "waha.admin", "waha.officer", 20_000_000),
)  # fmt: skip

FIRST_AR = [
    "محمد",
    "أحمد",
    "علي",
    "حسن",
    "عمر",
    "خالد",
    "يوسف",
    "إبراهيم",
    "راجو",
    "سانجاي",
    "كمال",
    "جوزيه",
    "رحيم",
    "أنور",
    "سليم",
    "طارق",
]
FIRST_EN = [
    "Mohammed",
    "Ahmed",
    "Ali",
    "Hassan",
    "Omar",
    "Khaled",
    "Yousef",
    "Ibrahim",
    "Raju",
    "Sanjay",
    "Kamal",
    "Jose",
    "Rahim",
    "Anwar",
    "Salim",
    "Tariq",
]
LAST_AR = ["خان", "حسين", "رحمن", "كومار", "سانتوس", "عبدالله", "محمود", "شاه", "إقبال", "داس"]
LAST_EN = [
    "Khan",
    "Hussain",
    "Rahman",
    "Kumar",
    "Santos",
    "Abdullah",
    "Mahmoud",
    "Shah",
    "Iqbal",
    "Das",
]

# The situations residents are cycled through; the first rows of each establishment show each one.
SITUATIONS = (
    "valid", "expiring_soon", "expired", "late_before", "late_twice", "traffic_fines", "insurance_lapsed",
    "no_fingerprint", "abroad", "with_dependents", "passport_expired", "absent", "final_exit", "valid_long",
    "valid", "valid", "expiring_soon", "expiring_soon", "with_dependents", "valid",
)  # fmt: skip


# Authority staff: (username, role, superuser, English name, Arabic name, mobile). Staff receive the
# login's security code on their own mobile (in the demo: the SMS outbox, like establishments' codes).
STAFF = (
    ("authority.admin", "supervisor", True, "Authority", "مشرف الجوازات", "966590000001"),
    ("authority.ops", "operator", False, "Operations", "موظف التشغيل", "966590000002"),
    ("authority.audit", "auditor", False, "Audit", "المدقق", "966590000003"),
)


class Command(BaseCommand):
    help = "Create the demo establishments, users and residents (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.travellers: list[tuple[User, Resident]] = []
        with transaction.atomic():
            created = [self._establishment(spec) for spec in ESTABLISHMENTS]
            self._staff()
        # Residents shown abroad travel the real way: a visa issued, then a departure recorded.
        for officer, resident in self.travellers:
            self._send_abroad(officer, resident)
        extra_lines = [*agency_demo(), *payments_demo(), *exception_requests_demo()]
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for spec, est in zip(ESTABLISHMENTS, created, strict=True):
            self.stdout.write(
                f"  {spec.main_user:<16} main user of {spec.name_en} ({est.moi_number})"
            )
            self.stdout.write(f"  {spec.officer:<16} officer of {spec.name_en}")
        self.stdout.write(
            f"  {'authority.admin':<16} authority supervisor: staff console at /authority/"
            " (and the Django admin at /admin/)"
        )
        self.stdout.write(f"  {'authority.ops':<16} authority operator (staff console)")
        self.stdout.write(f"  {'authority.audit':<16} authority auditor (reads, changes nothing)")
        self.stdout.write(
            "Security codes (officers before the e-services, staff at login) arrive by SMS in"
            " var/sms-outbox.jsonl (and on this console)."
        )
        for line in extra_lines:
            self.stdout.write(line)

    def _establishment(self, spec: DemoEstablishment) -> Establishment:
        est, _created = Establishment.objects.get_or_create(
            moi_number=spec.moi,
            defaults={
                "name_ar": spec.name_ar, "name_en": spec.name_en, "cr_number": spec.cr,
                "registered_mobile": spec.mobile, "saudis_majority": spec.saudis_majority,
                "building_number": "7123", "street": "King Fahd Road", "district": "Al Olaya",
                "city": "Riyadh", "postal_code": "12211", "additional_number": "4321",
            },
        )  # fmt: skip
        est = Establishment.objects.select_for_update().get(pk=est.pk)
        ledger_post_payment(
            actor=None,
            establishment=est,
            amount_halalas=spec.opening_balance_riyals * 100,
            reference=f"DEMO-{spec.moi}",
            idempotency_key=f"demo-opening-balance:{spec.moi}",
            memo="Demo opening balance",
        )
        self._user(spec.main_user, est, main=True, first="Main user", name_ar="المستخدم الرئيسي")
        self._user(
            spec.officer, est, main=False, first="GR officer", name_ar="مسؤول العلاقات الحكومية"
        )
        rng = random.Random(int(spec.moi))  # noqa: S311 - reproducible demo data, not security
        self._probation_workers(est, spec)
        nationalities = list(Nationality.objects.order_by("code"))
        professions = list(Profession.objects.filter(is_generic=False).order_by("code"))
        for index in range(spec.residents):
            self._resident(est, spec, index, rng, nationalities, professions)
        return est

    def _user(
        self, username: str, est: Establishment | None, *, main: bool, first: str, name_ar: str
    ) -> None:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "establishment": est,
                "is_main_user": main,
                "first_name": first,
                "full_name_ar": name_ar,
                # The demo officer holds every service but users management.
                "service_permissions": [
                    p.value for p in Permission if p != Permission.USER_MANAGEMENT
                ],
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])

    def _staff(self) -> None:
        for username, role, superuser, first_name, name_ar, mobile in STAFF:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "is_staff": True,
                    "is_superuser": superuser,
                    "staff_role": role,
                    "first_name": first_name,
                    "full_name_ar": name_ar,
                    "mobile": mobile,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
                continue
            # Created before staff roles, or before staff signed in with a security code.
            user.staff_role = user.staff_role or role
            user.mobile = user.mobile or mobile
            user.save(update_fields=["staff_role", "mobile"])

    def _resident(  # noqa: PLR0917
        self,
        est: Establishment,
        spec: DemoEstablishment,
        index: int,
        rng: random.Random,
        nationalities: list[Nationality],
        professions: list[Profession],
    ) -> None:
        iqama = make_iqama_number(spec.serial_base + index)
        if Resident.objects.filter(iqama_number=iqama).exists():
            return
        on = today()
        situation = SITUATIONS[index % len(SITUATIONS)]
        first = rng.randrange(len(FIRST_AR))
        last = rng.randrange(len(LAST_AR))
        expiry = on + timedelta(days=rng.randint(90, 330))
        fields: dict[str, Any] = {}
        if situation == "expiring_soon":
            expiry = on + timedelta(days=rng.randint(3, 28))
        elif situation in ("expired", "late_before", "late_twice"):
            expiry = on - timedelta(days=rng.randint(10, 60))
            fields["late_renewal_count"] = {"expired": 0, "late_before": 1, "late_twice": 2}[
                situation
            ]
        elif situation == "valid_long":
            expiry = add_months(on, 20)
        elif situation == "traffic_fines":
            fields["unpaid_traffic_fines_halalas"] = rng.choice([30000, 50000, 150000])
        elif situation == "insurance_lapsed":
            fields.update(insurance_active=False, insurance_expiry_date=on - timedelta(days=20))
        elif situation == "no_fingerprint":
            fields["fingerprint_registered"] = False
        elif situation == "passport_expired":
            fields["passport_expiry_date"] = on - timedelta(days=5)
        elif situation == "absent":
            fields.update(absent_from_work_reported=True, status=ResidentStatus.ABSENT_FROM_WORK)
        elif situation == "final_exit":
            fields["status"] = ResidentStatus.FINAL_EXIT_ISSUED
        birth = date(on.year - rng.randint(22, 55), rng.randint(1, 12), rng.randint(1, 28))
        resident = Resident.objects.create(
            establishment=est,
            iqama_number=iqama,
            name_ar=f"{FIRST_AR[first]} {LAST_AR[last]}",
            name_en=f"{FIRST_EN[first]} {LAST_EN[last]}",
            gender=Gender.MALE,
            date_of_birth=birth,
            nationality=nationalities[index % len(nationalities)],
            profession=professions[index % len(professions)],
            mobile=f"9665{rng.randint(10_000_000, 99_999_999)}",
            iqama_issue_date=add_months(expiry, -12),
            iqama_expiry_date=expiry,
            passport_number=f"{'ABCDEFGHJKLMNPRSTUVWXYZ'[index % 23]}{rng.randint(1_000_000, 9_999_999)}",
            passport_issue_date=on - timedelta(days=rng.randint(200, 1500)),
            passport_expiry_date=fields.pop(
                "passport_expiry_date", on + timedelta(days=rng.randint(400, 2500))
            ),
            insurance_expiry_date=fields.pop(
                "insurance_expiry_date", on + timedelta(days=rng.randint(60, 360))
            ),
            work_permit_paid_until=expiry,
            arrival_date=on - timedelta(days=rng.randint(400, 3000)),
            **fields,
        )
        if situation == "abroad":
            self.travellers.append((User.objects.get(username=spec.officer), resident))
        if situation == "with_dependents":
            for n, relation in enumerate((DependentRelation.SPOUSE, DependentRelation.SON)):
                Dependent.objects.create(
                    resident=resident,
                    name_ar=("زوجة " if n == 0 else "ابن ") + resident.name_ar,
                    name_en=("Spouse of " if n == 0 else "Son of ") + resident.name_en,
                    relation=relation,
                    date_of_birth=date(on.year - (30 if n == 0 else 8), 6, 15),
                    iqama_number=make_iqama_number(spec.serial_base + 5_000_000 + index * 2 + n),
                )

    def _send_abroad(self, officer: User, resident: Resident) -> None:
        result = visa_issue(
            actor=officer,
            iqama_number=resident.iqama_number or "",
            terms=VisaTerms(VisaType.MULTIPLE, DurationUnit.MONTHS, 3),
            idempotency_key=f"demo-visa:{resident.pk}",
        )
        border_crossing_record(
            iqama_number=resident.iqama_number or "",
            direction=Direction.DEPARTURE,
            on=result.visa.issued_on,
            port="King Khalid International Airport",
            external_id=f"demo-departure:{resident.pk}",
        )

    def _probation_workers(self, est: Establishment, spec: DemoEstablishment) -> None:
        """New arrivals still on a border number, for the final exit during probation."""
        on = today()
        for n, days_ago in enumerate((20, 75)):
            border = f"3{spec.serial_base // 10 + n:09d}"
            Resident.objects.get_or_create(
                border_number=border,
                defaults={
                    "establishment": est,
                    "name_ar": ("سانجاي كومار", "جوزيه سانتوس")[n],
                    "name_en": ("Sanjay Kumar", "Jose Santos")[n],
                    "gender": Gender.MALE,
                    "date_of_birth": date(on.year - 28, 3, 10),
                    "nationality": Nationality.objects.get(code=("IND", "PHL")[n]),
                    "profession": Profession.objects.get(code="931301"),
                    "arrival_date": on - timedelta(days=days_ago),
                    "passport_number": f"N{4_000_000 + spec.serial_base // 1_000_000 + n}",
                    "passport_issue_date": on - timedelta(days=300),
                    "passport_expiry_date": on + timedelta(days=1500),
                    "insurance_expiry_date": on + timedelta(days=300),
                },
            )
