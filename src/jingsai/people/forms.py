from django import forms
from django.utils.translation import gettext_lazy as _

from jingsai.core import idnumber
from jingsai.core.errors import UserError
from jingsai.core.forms import StyledForm
from jingsai.orgs.models import Organization

from . import services
from .models import GroupTag, Level, Person, WorkerStatus, validate_occupation_code


class PersonFieldsMixin(forms.Form):
    """Name, identity number, phone and employer, validated with the messages workers see."""

    name = forms.CharField(label=_("Name"), max_length=50)
    id_number = forms.CharField(
        label=_("Identity number"), max_length=40,
        help_text=_("18 characters; a final X may be typed in either case."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    phone = forms.CharField(
        label=_("Mobile number"), max_length=20, required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    employer_code = forms.CharField(label=_("Employer code"), max_length=32)

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean_id_number(self):
        try:
            return idnumber.parse(self.cleaned_data["id_number"])
        except idnumber.InvalidIdNumber as error:
            raise forms.ValidationError(error.message, code=error.code) from None

    def clean_phone(self):
        try:
            return services.normalize_phone(self.cleaned_data.get("phone", ""))
        except UserError as error:
            raise forms.ValidationError(error.message) from None

    def clean_employer_code(self):
        code = self.cleaned_data["employer_code"].strip()
        org = Organization.objects.filter(code=code).first()
        if org is None:
            raise forms.ValidationError(_("No organization has the code “%(code)s”.") % {"code": code})
        return org


class PersonForm(StyledForm, PersonFieldsMixin):
    occupation = forms.CharField(
        label=_("Occupation code"), max_length=10, required=False, validators=[validate_occupation_code],
        help_text=_("D-DD-DD-DD, from the national classification of occupations."),
    )
    level = forms.TypedChoiceField(
        label=_("Skill level"), choices=[("", _("None held"))] + list(Level.choices),
        coerce=int, empty_value=None, required=False,
    )
    worker_status = forms.ChoiceField(label=_("Status"), choices=WorkerStatus.choices)
    groups = forms.ModelMultipleChoiceField(
        label=_("Groups"), queryset=GroupTag.objects.all(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(label=_("Reason for the change"), max_length=200, required=False)

    def __init__(self, *args, instance=None, **kwargs):
        self.instance = instance
        if instance is not None:
            kwargs.setdefault("initial", {}).update(
                name=instance.name, employer_code=instance.employer.code, occupation=instance.occupation,
                level=instance.level, worker_status=instance.worker_status, groups=instance.groups.all(),
            )
        super().__init__(*args, **kwargs)
        if instance is not None:
            # The identity number identifies the person; it is not edited here.
            del self.fields["id_number"]
            masked = instance.phone_masked or "—"
            self.fields["phone"].help_text = _("Leave empty to keep %(masked)s.") % {"masked": masked}
        else:
            del self.fields["reason"]


def person_queryset():
    return Person.objects.select_related("employer")
