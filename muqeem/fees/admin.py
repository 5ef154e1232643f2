from django.contrib import admin

from muqeem.fees.models import LedgerJournal, LedgerLine, ScheduleEntry


@admin.register(ScheduleEntry)
class ScheduleEntryAdmin(admin.ModelAdmin):
    list_display = ("key", "value", "effective_from", "note", "created_at")
    list_filter = ("key",)
    ordering = ("key", "-effective_from")

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Past entries are history; a change is a new entry with a later date.
        return False

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return ("key", "effective_from", "value") if obj is not None else ()


class LedgerLineInline(admin.TabularInline):
    model = LedgerLine
    extra = 0
    can_delete = False
    readonly_fields = ("account", "establishment", "fee_code", "amount_halalas")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(LedgerJournal)
class LedgerJournalAdmin(admin.ModelAdmin):
    list_display = ("reference", "kind", "establishment", "occurred_at")
    list_filter = ("kind",)
    inlines = [LedgerLineInline]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
