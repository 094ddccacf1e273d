from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from jingsai.core.decorators import permission_required
from jingsai.core.errors import UserError
from jingsai.core.http import next_url

from . import permissions, services
from .forms import GrantRoleForm, LoginForm, NewUserForm, SignupForm, StyledPasswordChangeForm, TokenForm
from .models import Role, RoleAssignment, User


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    form = LoginForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.user)
        return redirect(next_url(request, "core:dashboard"))
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")})


@require_POST
def logout_view(request):
    logout(request)
    return redirect("public:home")


@sensitive_post_parameters("password1", "password2")
@csrf_protect
@require_http_methods(["GET", "POST"])
def signup(request):
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.sign_up(
                name=data["name"], id_number=data["id_number"], employer=data["employer_code"],
                phone=data["phone"], password=data["password1"],
            )
        except UserError as error:
            form.add_error(None, error.message)
        else:
            login(request, user)
            messages.success(request, _("Welcome! From now on you can log in with your identity number or phone."))
            return redirect("core:dashboard")
    return render(request, "accounts/signup.html", {"form": form})


@permission_required("accounts.dashboard")
@require_http_methods(["GET", "POST"])
def profile(request):
    password_form = StyledPasswordChangeForm(request.user, request.POST if "change_password" in request.POST else None)
    token_form = TokenForm(request.POST if "create_token" in request.POST else None)
    new_token = None
    if request.method == "POST":
        if "change_password" in request.POST and password_form.is_valid():
            password_form.save()
            update_session_auth_hash(request, password_form.user)
            services.set_password(request.user, request.user, password_form.cleaned_data["new_password1"])
            messages.success(request, _("Your password was changed."))
            return redirect("accounts:profile")
        if "create_token" in request.POST and token_form.is_valid():
            expires = timezone.now() + timedelta(days=token_form.cleaned_data["days"])
            name = token_form.cleaned_data["name"]
            _token, new_token = services.create_token(request.user, request.user, name, expires)
            token_form = TokenForm()
    return render(request, "accounts/profile.html", {
        "password_form": password_form, "token_form": token_form, "new_token": new_token,
        "tokens": request.user.api_tokens.filter(revoked_at__isnull=True).order_by("-created_at"),
        "roles": request.user.roles.select_related("organization", "competition"),
    })


@permission_required("accounts.manage_tokens")
@require_POST
def revoke_token(request, pk):
    token = get_object_or_404(request.user.api_tokens, pk=pk)
    services.revoke_token(request.user, token)
    messages.success(request, _("The token was revoked."))
    return redirect("accounts:profile")


def _manageable_users(actor):
    users = User.objects.exclude(username=services.SYSTEM_USERNAME)
    if permissions.is_admin(actor):
        return users
    paths = permissions.role_paths(actor, Role.ORGANIZER)
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(roles__organization__path__startswith=path)
    return users.filter(q).distinct()


@permission_required("accounts.manage_roles")
def user_list(request):
    users = _manageable_users(request.user).prefetch_related("roles__organization", "roles__competition")
    query = request.GET.get("q", "").strip()
    if query:
        users = users.filter(Q(username__icontains=query) | Q(name__contains=query))
    page = Paginator(users.order_by("username"), 50).get_page(request.GET.get("page"))
    return render(request, "accounts/user_list.html", {"page_obj": page, "query": query})


def _grantable_roles(actor):
    roles = [Role.ORGANIZER, Role.UNIT_CONTACT]
    return ([Role.ADMIN] if permissions.is_admin(actor) else []) + roles


@permission_required("accounts.manage_roles")
@require_http_methods(["GET", "POST"])
def user_create(request):
    form = NewUserForm(request.POST or None, roles=[r for r in _grantable_roles(request.user) if r != Role.ADMIN])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                user = services.create_user(
                    request.user, username=data["username"], password=data["password"], name=data["name"]
                )
                services.grant_role(request.user, user, data["role"], organization=data["organization_code"])
        except UserError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The account %(username)s was created.") % {"username": user.username})
            return redirect("accounts:user", pk=user.pk)
    return render(request, "accounts/user_form.html", {"form": form})


@permission_required("accounts.manage_roles")
@require_http_methods(["GET", "POST"])
def user_detail(request, pk):
    target = get_object_or_404(_manageable_users(request.user), pk=pk)
    form = GrantRoleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.grant_role(
                request.user, target, form.cleaned_data["role"], organization=form.cleaned_data["organization_code"],
                reason=request.POST.get("reason", ""),
            )
        except UserError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The role was granted."))
            return redirect("accounts:user", pk=target.pk)
    return render(request, "accounts/user_detail.html", {
        "target": target, "form": form,
        "roles": target.roles.select_related("organization", "competition"),
    })


@permission_required("accounts.manage_roles")
@require_POST
def revoke_role(request, pk, role_pk):
    target = get_object_or_404(_manageable_users(request.user), pk=pk)
    assignment = get_object_or_404(RoleAssignment, pk=role_pk, user=target)
    try:
        services.revoke_role(request.user, assignment, reason=request.POST.get("reason", ""))
    except UserError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The role was revoked."))
    return redirect("accounts:user", pk=target.pk)
