from django.contrib import admin

from muqeem.establishments.models import Establishment


@admin.register(Establishment)
class EstablishmentAdmin(admin.ModelAdmin):
    list_display = ("moi_number", "name_ar", "name_en", "balance_halalas", "is_active")
    search_fields = ("moi_number", "name_ar", "name_en", "cr_number")
    readonly_fields = ("balance_halalas",)
