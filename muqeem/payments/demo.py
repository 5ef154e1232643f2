"""Demo data of this app for `manage.py demo_data` (idempotent): a demo bank's API credential with a
fixed key, and two top-up bills of the first demo establishment (one paid, one waiting)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.utils import timezone

from muqeem.accounts.models import User
from muqeem.integrations.models import IntegrationCredential, IntegrationKind

# Clearly a demo key: it is printed with the demo logins and must never exist outside a demo.
DEMO_BANK_KEY = "mqi_DEMO_bank_sadad_not_a_secret"
DEMO_BANK_NAME = "Demo bank (SADAD)"
DEMO_PAYER = "modern.admin"


def _demo_bank_credential() -> IntegrationCredential:
    credential, _created = IntegrationCredential.objects.get_or_create(
        key_hash=hashlib.sha256(DEMO_BANK_KEY.encode()).hexdigest(),
        defaults={
            "name": DEMO_BANK_NAME,
            "kind": IntegrationKind.BANK,
            "key_prefix": DEMO_BANK_KEY[:8],
        },
    )
    return credential


def _demo_bills(credential: IntegrationCredential) -> str | None:
    from .services import bill_create, bill_payment_confirm

    payer = User.objects.filter(username=DEMO_PAYER, establishment__isnull=False).first()
    if payer is None:
        return None
    paid = bill_create(actor=payer, amount_halalas=500_000, idempotency_key="demo-bill-paid").bill
    bill_payment_confirm(
        number=paid.number,
        amount_halalas=paid.amount_halalas,
        payment_reference="DEMO-BANK-000001",
        paid_at=timezone.now() - timedelta(hours=2),
        credential=credential,
    )
    waiting = bill_create(
        actor=payer, amount_halalas=250_000, idempotency_key="demo-bill-unpaid"
    ).bill
    return waiting.number


def seed_demo() -> list[str]:
    """Create this app's demo rows; returns the lines to print with the demo logins."""
    credential = _demo_bank_credential()
    unpaid = _demo_bills(credential) or "<bill number>"
    paid_at = timezone.localtime().replace(microsecond=0).isoformat()
    return [
        f"Demo bank API key (SADAD, /api/bank/v1/): {DEMO_BANK_KEY}",
        "  Confirm a bill's payment: curl -X POST http://localhost:8000/api/bank/v1/payments/ "
        f'-H "Authorization: Bearer {DEMO_BANK_KEY}" -H "Content-Type: application/json" '
        f'-d \'{{"bill_number": "{unpaid}", "amount": "2500.00", '
        f'"payment_reference": "DEMO-BANK-000002", "paid_at": "{paid_at}"}}\'',
    ]
