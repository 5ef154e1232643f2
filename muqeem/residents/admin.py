from django.contrib import admin

from muqeem.residents.models import Dependent, Nationality, Profession, Resident


class DependentInline(admin.TabularInline):
    model = Dependent
    extra = 0


@admin.register(Resident)
class ResidentAdmin(admin.ModelAdmin):
    list_display = ("iqama_number", "name_en", "establishment", "iqama_expiry_date", "status")
    list_filter = ("status", "inside_kingdom")
    search_fields = ("iqama_number", "border_number", "name_en", "name_ar", "passport_number")
    list_select_related = ("establishment",)
    raw_id_fields = ("establishment",)
    inlines = [DependentInline]


@admin.register(Profession)
class ProfessionAdmin(admin.ModelAdmin):
    list_display = ("code", "name_ar", "name_en", "is_generic", "is_active")
    search_fields = ("code", "name_ar", "name_en")


@admin.register(Nationality)
class NationalityAdmin(admin.ModelAdmin):
    list_display = ("code", "name_ar", "name_en")
