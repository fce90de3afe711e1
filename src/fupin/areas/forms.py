from django import forms
from django.utils.translation import gettext_lazy as _

from fupin.core.forms import Form, must_choose

from .models import Area, Unit


class UnitForm(Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    short_name = forms.CharField(label=_("Short name"), max_length=60, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=must_choose(Unit.KIND_CHOICES))
    level = forms.ChoiceField(label=_("Level"), choices=must_choose(Area.LEVEL_CHOICES))
    area_code = forms.CharField(label=_("Area code"), max_length=15)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
