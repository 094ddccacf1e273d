from django import forms
from django.utils.translation import gettext_lazy as _

from jingsai.core.forms import StyledForm

from .services import OBJECTION_TEXT_MAX


class ObjectionForm(StyledForm, forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=50)
    contact = forms.CharField(label=_("Phone or e-mail"), max_length=100,
                              help_text=_("Only the organizer sees it, to reply to you."))
    entry_number = forms.IntegerField(label=_("Entry number concerned"), required=False, min_value=1,
                                      help_text=_("Optional: the 参赛号 column of the table."))
    text = forms.CharField(label=_("Your objection"), max_length=OBJECTION_TEXT_MAX, widget=forms.Textarea(
        attrs={"rows": 4}), help_text=_("Shown on this page with the organizer's answer, without your contact "
                                        "details."))


class VerifyForm(StyledForm, forms.Form):
    code = forms.CharField(label=_("Certificate number"), max_length=32)
