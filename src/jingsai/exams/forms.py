from django import forms
from django.utils.translation import gettext_lazy as _

from jingsai.core.forms import StyledForm
from jingsai.people.models import Level, validate_occupation_code

from .content import KEYS
from .models import Difficulty, ExamSession, Paper, PracticeSet, QuestionType

FORMAT_CHOICES = [("", _("Recognise from the file")), ("xlsx", "xlsx"), ("moodle-xml", "Moodle XML"), ("gift", "GIFT")]


class BankForm(StyledForm, forms.Form):
    occupation = forms.CharField(label=_("occupation code"), max_length=10, validators=[validate_occupation_code],
                                 help_text=_("职业分类大典 code, e.g. 6-18-02-04"))
    level = forms.TypedChoiceField(label=_("skill level"), choices=Level.choices[:5], coerce=int)
    owner = forms.ChoiceField(label=_("owner"))
    name = forms.CharField(label=_("name"), max_length=100, required=False,
                           help_text=_("Left empty: the occupation's name and the level."))
    practice_open = forms.BooleanField(label=_("open for practice"), required=False, initial=True)

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.owners = {str(o.pk): o for o in owners}
        self.fields["owner"].choices = [(str(o.pk), o.name) for o in owners]

    def clean_owner(self):
        return self.owners[self.cleaned_data["owner"]]


class ImportForm(StyledForm, forms.Form):
    file = forms.FileField(label=_("file"))
    format = forms.ChoiceField(label=_("format"), choices=FORMAT_CHOICES, required=False)


class QuestionForm(StyledForm, forms.Form):
    type = forms.ChoiceField(label=_("type"), choices=QuestionType.choices)
    knowledge_point = forms.CharField(label=_("knowledge point"), max_length=200, required=False)
    difficulty = forms.TypedChoiceField(label=_("difficulty"), choices=Difficulty.choices, coerce=int,
                                        initial=Difficulty.MEDIUM)
    title = forms.CharField(label=_("title"), max_length=255, required=False)
    # Not required here: a question may be a picture alone; content.check refuses one with neither.
    stem = forms.CharField(label=_("question"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    answer = forms.CharField(
        label=_("answer"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("单选: B (partial credit: B|%50%C); 多选: ACD; 判断: 对 or 错; 填空: blanks separated by ；, "
                    "accepted answers of a blank by |, * for any characters (\\* for an asterisk; a backslash "
                    "before |, ； or ; or another backslash for the character itself); "
                    "简答: the reference answer for graders."),
    )
    explanation = forms.CharField(label=_("explanation"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    pictures = forms.FileField(
        label=_("add pictures"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
    )
    explanation_pictures = forms.FileField(
        label=_("add pictures to the explanation"), required=False,
        help_text=_("Shown after the explanation's text, where the explanation is shown: never during an exam."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
    )
    reason = forms.CharField(label=_("reason for the change"), required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key in KEYS:
            self.fields[f"option_{key}"] = forms.CharField(label=_("option %(key)s") % {"key": key}, required=False,
                                                           max_length=2000)
            self.fields[f"option_{key}"].widget.attrs["class"] = "form-control"
        self.order_fields(["type", "knowledge_point", "difficulty", "title", "stem",
                           *[f"option_{k}" for k in KEYS], "answer", "explanation", "explanation_pictures", "pictures",
                           "reason"])


class SessionForm(StyledForm, forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    paper = forms.ModelChoiceField(label=_("paper"), queryset=Paper.objects.none())
    stage = forms.ChoiceField(label=_("stage"), required=False)
    opens_at = forms.DateTimeField(label=_("opens"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    closes_at = forms.DateTimeField(label=_("closes"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    duration_minutes = forms.IntegerField(label=_("duration (minutes)"), min_value=1, max_value=1440, initial=90)
    grace_seconds = forms.IntegerField(label=_("grace period (seconds)"), min_value=0, max_value=600, initial=30)
    ip_ranges = forms.CharField(label=_("allowed IP ranges"), required=False,
                                help_text=_("Comma-separated, e.g. 10.8.0.0/16; empty: any network."))
    access_code = forms.CharField(label=_("access code"), required=False, max_length=32,
                                  help_text=_("Given out in the exam room; empty: none."))
    graders_per_answer = forms.TypedChoiceField(
        label=_("graders per short answer"), coerce=int, initial=2,
        choices=[(1, _("One grader")), (2, _("Two graders, a third on disagreement"))],
    )
    disagreement_percent = forms.IntegerField(label=_("disagreement threshold (percentage of the question's points)"),
                                              min_value=0, max_value=100, initial=20)
    show_score = forms.BooleanField(label=_("candidates see their score once graded"), required=False, initial=True)
    reason = forms.CharField(label=_("reason for the change"), required=False, max_length=500)

    def __init__(self, *args, competition, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["paper"].queryset = competition.exam_papers.all()
        self.stages = {s.key: s for s in competition.stages.all()}
        self.fields["stage"].choices = [("", _("All stages"))] + [(k, s.name) for k, s in self.stages.items()]

    def clean_stage(self):
        return self.stages.get(self.cleaned_data.get("stage") or "")


SESSION_FORM_FIELDS = [name for name in SessionForm.base_fields if name not in ("reason",)]


def session_initial(session: ExamSession):
    from django.utils import timezone

    initial = {name: getattr(session, name) for name in SESSION_FORM_FIELDS if name not in ("stage",)}
    initial["stage"] = session.stage.key if session.stage_id else ""
    for name in ("opens_at", "closes_at"):
        initial[name] = timezone.localtime(initial[name]).strftime("%Y-%m-%dT%H:%M")
    return initial


class ReasonForm(StyledForm, forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=500)


class ExtendForm(StyledForm, forms.Form):
    minutes = forms.IntegerField(label=_("minutes"), min_value=-120, max_value=300, initial=5)
    reason = forms.CharField(label=_("reason"), max_length=500)


class AllowanceForm(StyledForm, forms.Form):
    entry = forms.IntegerField(label=_("entry number"), min_value=1)
    minutes = forms.IntegerField(label=_("extra minutes"), min_value=0, max_value=600)
    reason = forms.CharField(label=_("reason"), max_length=500)

    def __init__(self, *args, stages=(), **kwargs):
        """`stages`: for a session open to every stage of a competition that has several,
        where entry numbers repeat from stage to stage, the stages to choose from."""
        super().__init__(*args, **kwargs)
        if len(stages) > 1:
            self.fields["stage"] = forms.ChoiceField(
                label=_("stage"), required=False, choices=[("", "—")] + [(s.key, s.name) for s in stages])
            self.fields["stage"].widget.attrs["class"] = "form-select"


class GradeForm(StyledForm, forms.Form):
    item = forms.IntegerField(widget=forms.HiddenInput)
    score = forms.DecimalField(label=_("score"), min_value=0, decimal_places=2, max_digits=6)
    comment = forms.CharField(label=_("comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PracticeForm(StyledForm, forms.Form):
    bank = forms.ChoiceField(label=_("question bank"))
    knowledge_point = forms.CharField(label=_("knowledge point"), required=False)
    count = forms.TypedChoiceField(label=_("number of questions"), coerce=int, initial=10,
                                   choices=[(10, "10"), (20, "20"), (50, "50")])
    mode = forms.ChoiceField(choices=PracticeSet.Mode.choices, initial=PracticeSet.Mode.PRACTICE,
                             widget=forms.HiddenInput)

