from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

iqama_number_validator = RegexValidator(
    r"^2\d{9}$", _("The iqama number must be 10 digits starting with 2.")
)


class ResidentStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    OUTSIDE_KINGDOM = "outside_kingdom", _("Outside the kingdom")
    EXITED_NOT_RETURNED = "exited_not_returned", _("Exited and did not return")
    FINAL_EXIT_ISSUED = "final_exit_issued", _("Final exit issued")
    DEPARTED_FINAL = "departed_final", _("Departed on final exit")
    TRANSFERRED = "transferred", _("Transferred")
    ABSENT_FROM_WORK = "absent_from_work", _("Absent from work")
    DECEASED = "deceased", _("Deceased")


# The residents an establishment answers for now (the dashboard's and reports' "current"); the
# partial indexes below are built for exactly these.
CURRENT_RESIDENT_STATUSES = (
    ResidentStatus.ACTIVE,
    ResidentStatus.OUTSIDE_KINGDOM,
    ResidentStatus.ABSENT_FROM_WORK,
)


class Gender(models.TextChoices):
    MALE = "m", _("Male")
    FEMALE = "f", _("Female")


class Nationality(models.Model):
    code = models.CharField(_("code"), max_length=3, primary_key=True)
    name_ar = models.CharField(_("name (Arabic)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)

    class Meta:
        verbose_name = _("nationality")
        verbose_name_plural = _("nationalities")
        ordering = ["name_en"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_ar if (get_language() or "ar").startswith("ar") else self.name_en


class Profession(models.Model):
    code = models.CharField(_("code"), max_length=10, primary_key=True)
    name_ar = models.CharField(_("name (Arabic)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    # Generic titles (worker, technician, engineer, ...) can be corrected once for free.
    is_generic = models.BooleanField(_("generic title"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("profession")
        verbose_name_plural = _("professions")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_ar if (get_language() or "ar").startswith("ar") else self.name_en


class Resident(models.Model):
    establishment = models.ForeignKey(
        "establishments.Establishment",
        on_delete=models.PROTECT,
        related_name="residents",
        verbose_name=_("sponsor"),
    )
    iqama_number = models.CharField(
        _("iqama number"),
        max_length=10,
        unique=True,
        null=True,
        blank=True,
        validators=[iqama_number_validator],
    )
    border_number = models.CharField(
        _("border number"), max_length=10, unique=True, null=True, blank=True
    )
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    date_of_birth = models.DateField(_("date of birth"))
    nationality = models.ForeignKey(
        Nationality, on_delete=models.PROTECT, verbose_name=_("nationality")
    )
    religion = models.CharField(_("religion"), max_length=40, blank=True)
    profession = models.ForeignKey(
        Profession, on_delete=models.PROTECT, verbose_name=_("profession")
    )
    is_domestic_worker = models.BooleanField(_("domestic worker"), default=False)
    mobile = models.CharField(_("mobile"), max_length=12, blank=True)

    iqama_issue_date = models.DateField(_("iqama issue date"), null=True, blank=True)
    iqama_expiry_date = models.DateField(_("iqama expiry date"), null=True, blank=True)
    iqama_card_version = models.PositiveSmallIntegerField(_("iqama card version"), default=1)
    arrival_date = models.DateField(_("arrival date"), null=True, blank=True)

    passport_number = models.CharField(_("passport number"), max_length=20)
    passport_issue_date = models.DateField(_("passport issue date"))
    passport_expiry_date = models.DateField(_("passport expiry date"))

    status = models.CharField(
        _("status"), max_length=24, choices=ResidentStatus.choices, default=ResidentStatus.ACTIVE
    )
    inside_kingdom = models.BooleanField(_("inside the kingdom"), default=True)

    # Facts held by other agencies; they block transactions (see the eligibility rules).
    fingerprint_registered = models.BooleanField(_("fingerprint registered"), default=True)
    insurance_active = models.BooleanField(_("medical insurance active"), default=True)
    insurance_expiry_date = models.DateField(_("medical insurance expiry"), null=True, blank=True)
    unpaid_traffic_fines_halalas = models.BigIntegerField(
        _("unpaid traffic violations (halalas)"), default=0
    )
    absent_from_work_reported = models.BooleanField(_("absent-from-work report"), default=False)
    work_permit_paid_until = models.DateField(_("work permit paid until"), null=True, blank=True)
    registered_vehicles = models.PositiveSmallIntegerField(
        _("vehicles registered in the resident's name"), default=0
    )
    medical_exam_passed = models.BooleanField(_("medical examination passed"), default=True)
    profession_corrections_used = models.PositiveSmallIntegerField(
        _("free profession corrections used"), default=0
    )
    transfer_count = models.PositiveSmallIntegerField(_("transfers of services so far"), default=0)

    late_renewal_count = models.PositiveSmallIntegerField(_("late renewals so far"), default=0)
    # Bumped by every service that changes the resident; a quote is only honoured for the version it saw.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        indexes = [
            models.Index(
                fields=["establishment", "iqama_expiry_date"], name="resident_est_expiry_idx"
            ),
            models.Index(fields=["establishment", "status"], name="resident_est_status_idx"),
            # The dashboard's figures over the current residents, read from these two indexes
            # alone (index-only scans): counts per expiry day with the columns its counts and the
            # renewal estimate test, and counts per nationality in index order. Key columns rather
            # than INCLUDE, which SQLite lacks (it would ignore them and warn).
            models.Index(
                fields=[
                    "establishment",
                    "iqama_expiry_date",
                    "status",
                    "inside_kingdom",
                    "passport_expiry_date",
                    "is_domestic_worker",
                    "id",
                ],
                condition=models.Q(status__in=CURRENT_RESIDENT_STATUSES),
                name="resident_current_expiry_idx",
            ),
            models.Index(
                fields=["establishment", "nationality"],
                condition=models.Q(status__in=CURRENT_RESIDENT_STATUSES),
                name="resident_current_nat_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unpaid_traffic_fines_halalas__gte=0),
                name="resident_fines_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name_en} ({self.iqama_number or self.border_number})"

    @property
    def name(self) -> str:
        return self.name_ar if (get_language() or "ar").startswith("ar") else self.name_en


class DependentRelation(models.TextChoices):
    SPOUSE = "spouse", _("Spouse")
    SON = "son", _("Son")
    DAUGHTER = "daughter", _("Daughter")
    PARENT = "parent", _("Parent")


class Dependent(models.Model):
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="dependents")
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    relation = models.CharField(_("relation"), max_length=10, choices=DependentRelation.choices)
    date_of_birth = models.DateField(_("date of birth"))
    iqama_number = models.CharField(
        _("iqama number"),
        max_length=10,
        unique=True,
        null=True,
        blank=True,
        validators=[iqama_number_validator],
    )
    inside_kingdom = models.BooleanField(_("inside the kingdom"), default=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("dependent")
        verbose_name_plural = _("dependents")
        indexes = [
            # A resident's active dependents counted from the index alone (the dashboard's renewal
            # estimate counts them for every resident due for renewal).
            models.Index(
                fields=["resident"],
                condition=models.Q(is_active=True),
                name="dependent_active_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.name_en

    @property
    def name(self) -> str:
        return self.name_ar if (get_language() or "ar").startswith("ar") else self.name_en


class ResidentHistoryKind(models.TextChoices):
    IQAMA_RENEWED = "iqama_renewed", _("Iqama renewed")
    STATUS_CHANGED = "status_changed", _("Status changed")
    IQAMA_ISSUED = "iqama_issued", _("Iqama issued")
    PROFESSION_CHANGED = "profession_changed", _("Profession changed")
    PASSPORT_UPDATED = "passport_updated", _("Passport information updated")
    TRANSFERRED_OUT = "transferred_out", _("Transferred to another establishment")
    TRANSFERRED_IN = "transferred_in", _("Transferred from another establishment")
    CARD_ORDERED = "card_ordered", _("Iqama card ordered by Wasel")
    DEPARTED = "departed", _("Departed the kingdom")
    ARRIVED = "arrived", _("Arrived in the kingdom")
    DATA_CORRECTED = "data_corrected", _("Data corrected")


class ResidentHistoryEntry(models.Model):
    """What changed on a resident's file, by which transaction: the file's own history."""

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="history")
    occurred_at = models.DateTimeField()
    kind = models.CharField(max_length=32, choices=ResidentHistoryKind.choices)
    establishment = models.ForeignKey(
        "establishments.Establishment", on_delete=models.PROTECT, related_name="+"
    )
    service_request = models.ForeignKey(
        "workflow.ServiceRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    old = models.JSONField(default=dict)
    new = models.JSONField(default=dict)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["resident", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for resident {self.resident_id}"


class PassportRecord(models.Model):
    """A passport the resident held before the current one (the current one is on the resident)."""

    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="previous_passports"
    )
    passport_number = models.CharField(_("passport number"), max_length=20)
    issue_date = models.DateField(_("passport issue date"))
    expiry_date = models.DateField(_("passport expiry date"))
    replaced_at = models.DateTimeField(_("replaced at"))
    service_request = models.ForeignKey(
        "workflow.ServiceRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("previous passport")
        verbose_name_plural = _("previous passports")
        ordering = ["-replaced_at"]

    def __str__(self) -> str:
        return self.passport_number
