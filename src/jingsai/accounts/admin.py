from django.contrib import admin

from jingsai.core.admin_site import AuditedAdmin, ReadOnly, admin_site

from .models import ApiToken, LoginAttempt, RoleAssignment, User


class UserAdmin(AuditedAdmin, admin.ModelAdmin):
    """Names, e-mail and whether the account may log in; roles and passwords are managed
    on the site's own pages, which check the granter's scope."""

    list_display = ("username", "name", "is_active", "last_login")
    list_filter = ("is_active",)
    search_fields = ("username", "name")
    fields = ("username", "name", "email", "is_active", "person", "last_login", "date_joined")
    readonly_fields = ("username", "person", "last_login", "date_joined")

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RoleAssignmentAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("user", "role", "organization", "competition", "granted_by", "granted_at")
    list_filter = ("role",)
    list_select_related = ("user", "organization", "competition", "granted_by")
    search_fields = ("user__username", "user__name", "organization__code")


class ApiTokenAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_select_related = ("user",)
    exclude = ("digest",)


class LoginAttemptAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("at", "user", "ip", "success")
    list_filter = ("success",)
    list_select_related = ("user",)
    exclude = ("account",)


admin_site.register(User, UserAdmin)
admin_site.register(RoleAssignment, RoleAssignmentAdmin)
admin_site.register(ApiToken, ApiTokenAdmin)
admin_site.register(LoginAttempt, LoginAttemptAdmin)
