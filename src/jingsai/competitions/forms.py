from django import forms
from django.utils.translation import gettext_lazy as _

from jingsai.core.forms import StyledForm

# A spec is a few kilobytes; anything far larger is not one.
MAX_SPEC_BYTES = 1_000_000


class SeriesForm(StyledForm, forms.Form):
    name = forms.CharField(label=_("Series name"), max_length=100)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    reason = forms.CharField(label=_("Reason for the change"), max_length=200, required=False)


class UploadSpecForm(StyledForm, forms.Form):
    """A competition spec as a YAML file or pasted text."""

    file = forms.FileField(label=_("YAML file"), required=False)
    text = forms.CharField(label=_("Or paste the YAML here"), required=False,
                           widget=forms.Textarea(attrs={"rows": 12, "class": "font-monospace", "spellcheck": "false"}))
    reason = forms.CharField(label=_("Reason for the change"), max_length=500, required=False,
                             help_text=_("Needed once registration has opened: it is recorded with the change."))

    def __init__(self, *args, frozen=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not frozen:
            self.fields["reason"].help_text = ""

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is not None:
            if upload.size > MAX_SPEC_BYTES:
                raise forms.ValidationError(_("The file is too large to be a competition spec."))
            try:
                data["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError(_("The file is not UTF-8 text.")) from None
        if not (data.get("text") or "").strip():
            raise forms.ValidationError(_("Choose a YAML file or paste the spec."))
        return data
