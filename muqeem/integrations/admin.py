from django.contrib import admin, messages
from django.http import HttpRequest

from muqeem.integrations.models import IntegrationCredential
from muqeem.integrations.services import integration_credential_create


@admin.register(IntegrationCredential)
class IntegrationCredentialAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "key_prefix", "is_active", "created_at", "last_used_at")
    list_filter = ("kind", "is_active")
    fields = ("name", "kind", "is_active", "key_prefix", "created_at", "last_used_at")
    readonly_fields = ("key_prefix", "created_at", "last_used_at")

    def save_model(
        self, request: HttpRequest, obj: IntegrationCredential, form: object, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        credential, key = integration_credential_create(name=obj.name, kind=obj.kind)
        obj.pk = credential.pk
        obj.key_prefix = credential.key_prefix
        obj.key_hash = credential.key_hash
        messages.warning(request, f"Key (shown once, store it now): {key}")
