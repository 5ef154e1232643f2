from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from muqeem.core.docs_gen import error_codes_markdown


class Command(BaseCommand):
    help = "Write docs/error-codes.md from the error catalogue."

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(settings.BASE_DIR) / "docs" / "error-codes.md"
        path.write_text(error_codes_markdown(), encoding="utf-8")
        self.stdout.write(f"wrote {path}")
