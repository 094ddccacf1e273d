from django.contrib import admin

from .admin_site import ReadOnly, admin_site
from .models import AuditRecord, Job


class AuditRecordAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("at", "actor_label", "via", "action", "object_repr", "reason")
    list_filter = ("via",)
    search_fields = ("action", "actor_label", "object_repr", "object_id")
    date_hierarchy = "at"


class JobAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("created_at", "kind", "title", "status", "done", "total", "created_by")
    list_filter = ("status", "kind")
    list_select_related = ("created_by",)


admin_site.register(AuditRecord, AuditRecordAdmin)
admin_site.register(Job, JobAdmin)
