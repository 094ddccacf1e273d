from django import forms
from django.utils.translation import gettext_lazy as _

from jingsai.core.forms import StyledForm
from jingsai.people.models import GroupTag, Level, WorkerStatus

from . import planning
from .models import EntryStatus


class WorkerForm(StyledForm, forms.Form):
    """One worker entered by hand: found by identity number if already on the platform
    (the name must then match), else added."""

    name = forms.CharField(label=_("Name"), max_length=50)
    id_number = forms.CharField(label=_("Identity number"), max_length=40,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))
    phone = forms.CharField(label=_("Mobile number"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel"}))
    unit = forms.ChoiceField(label=_("Unit"))
    level = forms.TypedChoiceField(
        label=_("Skill level"), choices=[("", _("As on the worker's record")), ("none", _("None held"))]
        + [(str(v), label) for v, label in Level.choices if v > 0],
        required=False, empty_value="")
    worker_status = forms.ChoiceField(label=_("Status"), choices=[("", _("As on the worker's record"))]
                                      + list(WorkerStatus.choices), required=False)
    groups = forms.ModelMultipleChoiceField(label=_("Groups"), queryset=GroupTag.objects.all(), required=False,
                                            widget=forms.CheckboxSelectMultiple)
    scope = forms.CharField(label=_("赛区 code"), max_length=32, required=False,
                            help_text=_("Only when the unit does not belong to the 赛区 it competes in."))

    def __init__(self, *args, units=(), split=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.code, f"{u.name}（{u.code}）") for u in units]
        if not split:
            del self.fields["scope"]

    def declared(self):
        """level and worker_status as the planner takes them (MISSING: from the record)."""
        level = self.cleaned_data.get("level")
        status = self.cleaned_data.get("worker_status")
        return {
            "level": planning.MISSING if level == "" else (None if level == "none" else int(level)),
            "worker_status": status or planning.MISSING,
        }


class TeamForm(StyledForm, forms.Form):
    """A whole team at once: its name, its unit and a row per member."""

    team = forms.CharField(label=_("Team name"), max_length=100)
    unit = forms.ChoiceField(label=_("Unit"))

    def __init__(self, *args, units=(), size=2, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.code, f"{u.name}（{u.code}）") for u in units]
        self.size = size
        for i in range(1, size + 1):
            self.fields[f"name_{i}"] = forms.CharField(label=_("Member %(n)s: name") % {"n": i}, max_length=50,
                                                       required=False)
            self.fields[f"id_{i}"] = forms.CharField(label=_("Member %(n)s: identity number") % {"n": i},
                                                     max_length=40, required=False)

    def members(self):
        out = []
        for i in range(1, self.size + 1):
            name, number = self.cleaned_data.get(f"name_{i}", ""), self.cleaned_data.get(f"id_{i}", "")
            if name or number:
                out.append((i, name, number))
        return out


class ReasonForm(StyledForm, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))


class ImportForm(StyledForm, forms.Form):
    file = forms.FileField(label=_("Registration file"),
                           help_text=_(".xlsx, .xls, .ods or .csv (UTF-8 or GBK) with the template's columns."))
    dry_run = forms.BooleanField(label=_("Only check the file; register nobody"), required=False)


STATUS_FILTERS = [("", _("Every status"))] + list(EntryStatus.choices)
