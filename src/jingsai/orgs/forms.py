from django import forms
from django.utils.translation import gettext_lazy as _

from jingsai.core.forms import StyledForm

from .models import MAX_EMPLOYEES, Organization, OrgType, Ownership, validate_code, validate_region_code


class OrganizationForm(StyledForm, forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32, validators=[validate_code])
    name = forms.CharField(label=_("Name"), max_length=100)
    type = forms.ChoiceField(label=_("Type"), choices=OrgType.choices)
    parent_code = forms.CharField(label=_("Parent organization code"), max_length=32, required=False)
    region_code = forms.CharField(
        label=_("Region code"), max_length=6, required=False, validators=[validate_region_code],
        help_text=_("6 digits (GB/T 2260), e.g. 310104."),
    )
    ownership = forms.ChoiceField(label=_("Ownership"), choices=[("", "—")] + list(Ownership.choices), required=False)
    employee_count = forms.IntegerField(label=_("Employees"), min_value=0, max_value=MAX_EMPLOYEES, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    reason = forms.CharField(label=_("Reason for the change"), max_length=200, required=False)

    def __init__(self, *args, instance=None, **kwargs):
        self.instance = instance
        if instance is not None:
            kwargs.setdefault("initial", {}).update(
                code=instance.code, name=instance.name, type=instance.type,
                parent_code=instance.parent.code if instance.parent_id else "",
                region_code=instance.region_code, ownership=instance.ownership,
                employee_count=instance.employee_count, is_active=instance.is_active,
            )
        super().__init__(*args, **kwargs)
        if instance is not None:
            self.fields["code"].disabled = True

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if self.instance is None and Organization.objects.filter(code=code).exists():
            raise forms.ValidationError(_("The code “%(code)s” is already used.") % {"code": code})
        return code

    def clean_parent_code(self):
        code = self.cleaned_data.get("parent_code", "").strip()
        if not code:
            return None
        parent = Organization.objects.filter(code=code).first()
        if parent is None:
            raise forms.ValidationError(_("No organization has the code “%(code)s”.") % {"code": code})
        if self.instance is not None and parent.path.startswith(self.instance.path):
            raise forms.ValidationError(
                _("An organization cannot be placed under itself or its own sub-organizations.")
            )
        return parent
