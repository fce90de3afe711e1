"""Form base classes that give every widget Bootstrap's classes."""

from django import forms
from django.utils.translation import gettext_lazy as _

# The empty first option of a choice the person must make (must_choose). The same words as
# Django 6.1's empty choice of a select (django.db.models.fields.BLANK_CHOICE_LABEL), which
# Django's own zh_Hans catalogue does not translate: ours, whose translations come first, does.
CHOOSE = _("- Select an option -")


def must_choose(choices):
    """``choices`` (a list, or a callable that gives one) after an empty first option, for a
    choice the person must make: nothing is chosen unless they choose it (a select without an
    empty option shows its first choice, which the form then takes for the person's, silently),
    and a required field left empty is refused naming it."""
    if callable(choices):
        return lambda: [("", CHOOSE), *choices()]
    return [("", CHOOSE), *choices]


class DateInput(forms.DateInput):
    """The one date widget of every form: ``<input type="date">``, whose value a browser reads
    only as ``YYYY-MM-DD``. Django would draw it in the language's format (zh-hans 2026/11/23),
    which the browser takes for an empty date (and a required one then blocks the submit without
    a word), so the format is fixed here, whatever the language."""

    input_type = "date"
    ISO = "%Y-%m-%d"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs, format=format or self.ISO)


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
