from django import forms
from django.forms.renderers import TemplatesSetting


class Renderer(TemplatesSetting):
    """Forms render through templates/forms/, with Bootstrap's markup."""

    form_template_name = "forms/div.html"
    field_template_name = "forms/field.html"


class StyledForm:
    """Mixin giving every widget Bootstrap's classes and marking invalid fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            elif isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                css = ""
            else:
                css = "form-control"
            # Invalid fields are marked in full_clean: reading self.errors here would validate
            # before a subclass has finished setting up its fields (choices, removed fields).
            if css:
                widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = (widget.attrs.get("class", "") + " is-invalid").strip()


class UploadForm(StyledForm, forms.Form):
    file = forms.FileField()
