from django import forms
from django.utils.translation import gettext_lazy as _

from jingsai.accounts.models import User
from jingsai.core.forms import StyledForm
from jingsai.orgs.models import Organization

from .models import AspectType, JudgeRole


class CriterionForm(StyledForm, forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=100)
    parent = forms.ModelChoiceField(label=_("Under criterion"), queryset=None, required=False,
                                    help_text=_("Leave empty for a criterion; choose one for a sub-criterion."))

    def __init__(self, *args, scheme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = scheme.criteria.filter(parent__isnull=True)


class AspectForm(StyledForm, forms.Form):
    criterion = forms.ModelChoiceField(label=_("Criterion"), queryset=None)
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=100)
    type = forms.ChoiceField(label=_("Type"), choices=AspectType.choices)
    max = forms.DecimalField(label=_("Maximum"), max_digits=9, decimal_places=3, min_value=0)
    binary = forms.BooleanField(label=_("All or nothing (measurement only: 0 or the maximum)"), required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    descriptor_0 = forms.CharField(label=_("What scores 0"), required=False, max_length=2000)
    descriptor_1 = forms.CharField(label=_("What scores 1"), required=False, max_length=2000)
    descriptor_2 = forms.CharField(label=_("What scores 2"), required=False, max_length=2000)
    descriptor_3 = forms.CharField(label=_("What scores 3"), required=False, max_length=2000)

    def __init__(self, *args, scheme, **kwargs):
        super().__init__(*args, **kwargs)
        # An aspect hangs from a criterion without sub-criteria, or from a sub-criterion.
        self.fields["criterion"].queryset = scheme.criteria.exclude(children__isnull=False).order_by("order")

    @property
    def descriptors(self):
        return [self.cleaned_data.get(f"descriptor_{i}", "") for i in range(4)]


class JudgeForm(StyledForm, forms.Form):
    code = forms.CharField(label=_("Judge code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=50)
    unit_code = forms.CharField(label=_("Unit code"), max_length=32,
                                help_text=_("The judge's own unit: it decides conflicts of interest."))
    qualifications = forms.CharField(label=_("Qualifications"), max_length=200, required=False)
    username = forms.CharField(label=_("Existing login (optional)"), max_length=150, required=False,
                               help_text=_("Without one, a login judge-<code> is made."))
    id_number = forms.CharField(label=_("Identity number (optional)"), max_length=18, required=False,
                                help_text=_("Links the judge to their worker record."))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def clean_unit_code(self):
        code = self.cleaned_data["unit_code"].strip()
        unit = Organization.objects.filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(_("No organization has the code “%(code)s”.") % {"code": code})
        return unit

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if not username:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            raise forms.ValidationError(_("No user is called “%(name)s”.") % {"name": username})
        return user


class AssignForm(StyledForm, forms.Form):
    judge_code = forms.CharField(label=_("Judge code"), max_length=32)
    role = forms.ChoiceField(label=_("Role"), choices=JudgeRole.choices)


class RelationshipForm(StyledForm, forms.Form):
    id_number = forms.CharField(label=_("Identity number of the worker"), max_length=18)
    relation = forms.CharField(label=_("Relationship"), max_length=100,
                               help_text=_("For example: relative, mentor and apprentice, former colleague."))


class PanelForm(StyledForm, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    aspects = forms.ModelMultipleChoiceField(label=_("Aspects"), queryset=None,
                                             widget=forms.CheckboxSelectMultiple)
    members = forms.ModelMultipleChoiceField(label=_("Judges"), queryset=None, widget=forms.CheckboxSelectMultiple)
    station_from = forms.IntegerField(label=_("From station"), min_value=1, required=False)
    station_to = forms.IntegerField(label=_("To station"), min_value=1, required=False,
                                    help_text=_("Leave both empty for every station."))

    def __init__(self, *args, scheme, competition, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["aspects"].queryset = scheme.aspects.order_by("order") if scheme else []
        self.fields["aspects"].label_from_instance = lambda a: f"{a.code} {a.name}（{a.type}）"
        self.fields["members"].queryset = competition.judge_assignments.select_related("judge")
        self.fields["members"].label_from_instance = lambda m: f"{m.judge}（{m.get_role_display()}）"


class AppealForm(StyledForm, forms.Form):
    text = forms.CharField(label=_("Your appeal"), widget=forms.Textarea(attrs={"rows": 6}), max_length=5000,
                           help_text=_("Say which marks you question and why."))
    aspects = forms.ModelMultipleChoiceField(label=_("Aspects concerned (optional)"), queryset=None, required=False,
                                             widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, scheme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["aspects"].queryset = scheme.aspects.order_by("order") if scheme else []
        self.fields["aspects"].label_from_instance = lambda a: f"{a.code} {a.name}"


class DecisionForm(StyledForm, forms.Form):
    decision = forms.ChoiceField(label=_("Ruling"), choices=[("upheld", _("Uphold: the marks are re-marked")),
                                                             ("rejected", _("Reject"))],
                                 widget=forms.RadioSelect)
    ruling = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
