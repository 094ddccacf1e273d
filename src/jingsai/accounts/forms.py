from django import forms
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.forms import PasswordChangeForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from jingsai.core.forms import StyledForm
from jingsai.core.middleware import client_ip
from jingsai.orgs.models import Organization
from jingsai.people.forms import PersonFieldsMixin

from . import throttle
from .models import Role

# Django's password validator asks for this message, which Django's own zh_Hans catalogue
# (5.2) lacks under this id; naming it here keeps its translation in ours.
DJANGO_STRINGS = (
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        "min_length",
    ),
)


class LoginForm(StyledForm, forms.Form):
    username = forms.CharField(
        label=_("Username, identity number or mobile number"), max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)

    def clean(self):
        login = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not login or not password:
            return self.cleaned_data
        ip = client_ip(self.request)
        key = throttle.account_key(login)
        until = throttle.locked_until(key, ip)
        if until is not None:
            raise forms.ValidationError(
                _(
                    "Too many failed attempts. For your safety, logging in is paused; try again in "
                    "%(minutes)s minutes."
                ) % {"minutes": throttle.minutes_until(until)},
                code="throttled",
            )
        self.user = authenticate(self.request, username=login, password=password)
        throttle.note(key, ip, user=self.user, success=self.user is not None)
        if self.user is None:
            raise forms.ValidationError(
                _("The login name or the password is wrong. Note that the password is case-sensitive."),
                code="invalid_login",
            )
        return self.cleaned_data


class StyledPasswordChangeForm(StyledForm, PasswordChangeForm):
    pass


class TokenForm(StyledForm, forms.Form):
    name = forms.CharField(label=_("What the token is for"), max_length=100)
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=366, initial=90)


class SignupForm(PersonFieldsMixin, StyledForm, forms.Form):
    """A worker creates their own login. An existing worker record (same identity number)
    is linked when the name matches; otherwise a new record is made."""

    password1 = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("Password again"), strip=False, widget=forms.PasswordInput)

    field_order = ["name", "id_number", "phone", "employer_code", "password1", "password2"]

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            try:
                password_validation.validate_password(p1)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class NewUserForm(StyledForm, forms.Form):
    username = forms.RegexField(
        label=_("Username"), max_length=150, regex=r"^[\w.@+-]+$",
        error_messages={"invalid": _("Use letters, digits and @ . + - _ only.")},
    )
    name = forms.CharField(label=_("Name"), max_length=50)
    password = forms.CharField(label=_("Initial password"), strip=False, widget=forms.PasswordInput)
    role = forms.ChoiceField(label=_("Role"), choices=[])
    organization_code = forms.CharField(label=_("Organization code"), max_length=32)

    def __init__(self, *args, roles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.value, r.label) for r in roles]

    def clean_password(self):
        password = self.cleaned_data["password"]
        password_validation.validate_password(password)
        return password

    def clean_organization_code(self):
        code = self.cleaned_data["organization_code"].strip()
        org = Organization.objects.filter(code=code).first()
        if org is None:
            raise forms.ValidationError(_("No organization has the code “%(code)s”.") % {"code": code})
        return org


class GrantRoleForm(StyledForm, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=[(r.value, r.label) for r in (Role.ORGANIZER, Role.UNIT_CONTACT)])
    organization_code = forms.CharField(label=_("Organization code"), max_length=32)
    clean_organization_code = NewUserForm.clean_organization_code
