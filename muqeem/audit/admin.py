from django.contrib import admin

from muqeem.audit.models import AuditEvent, AuditSeal


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = (
        "occurred_at",
        "event_type",
        "actor_user",
        "actor_establishment",
        "resident",
        "service_request",
    )
    list_filter = ("event_type",)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(AuditSeal)
class AuditSealAdmin(admin.ModelAdmin):
    list_display = ("seq", "event", "hash", "sealed_at")
    raw_id_fields = ("event",)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
