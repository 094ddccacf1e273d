"""Django admin, for platform administrators only (the permission module decides).

Logging in happens on the site's own login page (with its throttling); a logged-in user who
is not an administrator is refused with 403. Apps register their models on `admin_site`
with `ReadOnly` (state that only services may change: trees, marks, records) or
`AuditedAdmin` (reference data an administrator may edit; every change is audited)."""

from functools import update_wrapper

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from jingsai.accounts.permissions import is_admin

from . import audit


class JingsaiAdminSite(admin.AdminSite):
    site_header = _("Jingsai administration")
    site_title = _("Jingsai administration")
    index_title = _("Platform data")

    def has_permission(self, request):
        return is_admin(request.user)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def guarded(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not self.has_permission(request):
                raise PermissionDenied
            return inner(request, *args, **kwargs)

        return update_wrapper(guarded, inner)

    def login(self, request, extra_context=None):
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"))


admin_site = JingsaiAdminSite(name="admin")

# Strings of Django's admin that its own zh_Hans catalogue lacks; named here so that our
# catalogue keeps their translations.
DJANGO_ADMIN_STRINGS = (gettext_noop("Add link"), gettext_noop("Change or view list link"), gettext_noop("Model name"))


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


class AuditedAdmin(AdminOnly):
    """Every add, change and delete made in the admin leaves an audit record (the admin
    already wraps each in a transaction, so the record commits with the change)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changes = {
            name: [form.initial.get(name), form.cleaned_data.get(name)] for name in form.changed_data
        }
        audit.record(request.user, "admin.change" if change else "admin.add", obj, changes=changes)

    def delete_model(self, request, obj):
        audit.record(request.user, "admin.delete", obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit.record(request.user, "admin.delete", obj)
        super().delete_queryset(request, queryset)
