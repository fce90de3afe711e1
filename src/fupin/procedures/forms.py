import json

from django import forms
from django.utils.translation import gettext_lazy as _

from fupin.core.forms import DateInput, Form, must_choose


class ObjectionForm(Form):
    member = forms.IntegerField(widget=forms.HiddenInput)
    content = forms.CharField(label=_("Objection"), widget=forms.Textarea(attrs={"rows": 3}))
    objector_name = forms.CharField(label=_("Objector (optional)"), max_length=60, required=False)
    objector_contact = forms.CharField(label=_("Objector's contact (optional)"), max_length=40, required=False)
    received_on = forms.DateField(label=_("Received on"), required=False, widget=DateInput())


class ResolveForm(Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=must_choose([
        ("rejected", _("Rejected: the household stays (answer the objector in writing)")),
        ("upheld", _("Upheld: the household leaves the batch"))]))
    text = forms.CharField(label=_("Written answer to the objector, or the reason it is upheld"),
                           widget=forms.Textarea(attrs={"rows": 3}))


class TypeForm(Form):
    definition = forms.CharField(label=_("Definition (JSON)"), widget=forms.Textarea(
        attrs={"rows": 30, "class": "font-monospace small", "spellcheck": "false"}))
    active = forms.BooleanField(label=_("In use"), required=False)

    def clean_definition(self):
        try:
            return json.loads(self.cleaned_data["definition"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("Not valid JSON: line %(line)s, column %(col)s: %(msg)s")
                                        % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg}) from None


class CopyTypeForm(Form):
    code = forms.CharField(label=_("Code of the new type"), max_length=40)
