from django.contrib import admin

from jingsai.core.admin_site import AuditedAdmin, ReadOnly, admin_site

from .models import GroupTag, Occupation, Person


class PersonAdmin(ReadOnly, admin.ModelAdmin):
    """Read-only and masked: workers' records change through people.services, and full
    numbers are revealed (and audited) on the record's own page."""

    list_display = ("name", "id_number_masked", "phone_masked", "employer", "level", "worker_status")
    list_filter = ("worker_status", "level", "groups")
    list_select_related = ("employer",)
    search_fields = ("name", "employer__code", "employer__name")
    fields = (
        "name", "id_number_masked", "phone_masked", "birth_date", "sex", "employer", "occupation", "level",
        "worker_status", "groups", "created_at", "updated_at",
    )
    readonly_fields = fields


class OccupationAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


class GroupTagAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ("code", "name")


admin_site.register(Person, PersonAdmin)
admin_site.register(Occupation, OccupationAdmin)
admin_site.register(GroupTag, GroupTagAdmin)
