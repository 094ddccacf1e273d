"""Django admin, for platform administrators only (the permission module decides)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from jingsai.accounts.permissions import is_admin


class JingsaiAdminSite(admin.AdminSite):
    site_header = _("Jingsai administration")
    site_title = _("Jingsai administration")
    index_title = _("Platform data")

    def has_permission(self, request):
        return is_admin(request.user)


admin_site = JingsaiAdminSite(name="admin")


class AdminOnly:
    """Model admin permissions follow the platform administrator role, not Django groups."""

    def has_module_permission(self, request):
        return is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_admin(request.user)

    def has_add_permission(self, request, *args):
        return is_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return is_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_admin(request.user)


class ReadOnly(AdminOnly):
    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
