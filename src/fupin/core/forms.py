"""Form base classes that give every widget Bootstrap's classes."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# Django 6.1's empty choice of a select (django.db.models.fields.BLANK_CHOICE_LABEL), which
# Django's own zh_Hans catalogue does not translate: named here so that makemessages keeps
# it in ours, whose translations come first.
gettext_noop("- Select an option -")


class StyledMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()


class Form(StyledMixin, forms.Form):
    pass


class ModelForm(StyledMixin, forms.ModelForm):
    pass


class UploadForm(Form):
    file = forms.FileField(label=_("File (.xlsx or .csv)"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        name = f.name.lower()
        if not name.endswith((".xlsx", ".xls", ".csv")):
            raise forms.ValidationError(_("Use an .xlsx or .csv file."))
        return f
