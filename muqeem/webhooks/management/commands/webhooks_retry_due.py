from typing import Any

from django.core.management.base import BaseCommand

from muqeem.webhooks.services import webhook_deliveries_retry_due


class Command(BaseCommand):
    help = "Send the webhook deliveries whose retry is due (run it every minute)."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = webhook_deliveries_retry_due()
        self.stdout.write(f"{sent} webhook deliveries attempted")
