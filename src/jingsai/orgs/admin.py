from django.contrib import admin

from jingsai.core.admin_site import ReadOnly, admin_site

from .models import Organization


class OrganizationAdmin(ReadOnly, admin.ModelAdmin):
    """Read-only: the tree's paths are kept by orgs.services (pages, API, import)."""

    list_display = ("code", "name", "type", "parent", "region_code", "ownership", "employee_count", "is_active")
    list_filter = ("type", "ownership", "is_active")
    list_select_related = ("parent",)
    search_fields = ("code", "name")


admin_site.register(Organization, OrganizationAdmin)
