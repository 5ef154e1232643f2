"""Demo data of this app for `manage.py demo_data` (idempotent): one API credential per agency.

The keys are fixed and plainly demo keys, so the demo can call the agency API from a script or curl
(docs/agency-api.md). No traffic fines are created: the demo records one live."""

from __future__ import annotations

import hashlib

from muqeem.integrations.models import IntegrationCredential, IntegrationKind
from muqeem.integrations.services import PREFIX_LENGTH

DEMO_AGENCIES: tuple[tuple[str, str], ...] = (
    (IntegrationKind.INSURANCE, "Health insurance council (demo)"),
    (IntegrationKind.TRAFFIC, "Traffic department (demo)"),
    (IntegrationKind.BIOMETRIC, "Fingerprint registry (demo)"),
    (IntegrationKind.VEHICLES, "Vehicle registry (demo)"),
    (IntegrationKind.LABOUR, "Labour office (demo)"),
)


def demo_key(kind: str) -> str:
    return f"demo-{kind}-agency-key-not-secret"


def seed_demo() -> list[str]:
    """Create this app's demo rows; returns the lines to print with the demo logins."""
    lines = ["Agency API keys (demo only; Authorization: Bearer <key>, see docs/agency-api.md):"]
    for kind, name in DEMO_AGENCIES:
        key = demo_key(kind)
        IntegrationCredential.objects.update_or_create(
            key_hash=hashlib.sha256(key.encode()).hexdigest(),
            defaults={
                "name": name,
                "kind": kind,
                "key_prefix": key[:PREFIX_LENGTH],
                "is_active": True,
            },
        )
        lines.append(f"  {kind} API key: {key}")
    return lines
