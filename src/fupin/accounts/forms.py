from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from fupin.areas.models import Unit
from fupin.core.forms import Form, must_choose
from fupin.registry.rules import PHONE_RULE

from . import actions, rules


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("Wrong user name or password. After %(max)s failures the account is locked for %(minutes)s minutes."),
        "inactive": _("This account is disabled."),
        "locked": _("Too many failed sign-ins: this account is locked until %(until)s."),
    }

    def __init__(self, request=None, *args, locked_until=None, **kwargs):
        self.locked_until = locked_until
        super().__init__(request, *args, **kwargs)

    def locked_error(self, until) -> forms.ValidationError:
        return forms.ValidationError(self.error_messages["locked"], code="locked", params={
            "until": formats.date_format(timezone.localtime(until), "Y-m-d H:i")})

    def clean(self):
        # A locked account is refused before its password is even checked.
        if self.locked_until is not None:
            raise self.locked_error(self.locked_until)
        return super().clean()


class UserCreateForm(Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    full_name = forms.CharField(label=_("Full name"), max_length=60, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=must_choose(list(rules.ROLES.items())))
    area_code = forms.CharField(label=_("Area code"), max_length=15,
                                help_text=_("12-digit statistical division code of the area the role covers."))
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none(), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False,
                            help_text=PHONE_RULE)
    post = forms.CharField(label=_("Post"), max_length=60, required=False)

    # The field of an accounts.actions error -> the form's field.
    ACTION_FIELDS = {"username": "username", "full_name": "full_name", "role": "role", "area": "area_code",
                     "unit": "unit", "phone": "phone", "post": "post"}

    def __init__(self, *args, units=None, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.checked = None  # clean(): actions.check_new_user's answer, which the view creates
        if units is not None:
            self.fields["unit"].queryset = units

    def clean(self):
        """Every field's problem at once: the form's own checks and the action's
        (user name characters and uniqueness, phone, role, area and its scope, unit)."""
        data = super().clean()
        if self.actor is None:
            return data
        self.checked = actions.check_new_user(
            self.actor, username=data.get("username", ""), role=data.get("role"),
            area_code=(data.get("area_code") or "").strip() or None, unit=data.get("unit"),
            full_name=data.get("full_name", ""), phone=data.get("phone", ""), post=data.get("post", ""))
        for problem in self.checked.problems:
            field = self.ACTION_FIELDS.get(problem.field or "")
            if field in self.errors:  # the form's own message for that field comes first
                continue
            self.add_error(field, str(problem.message))
        return data


class RoleForm(Form):
    role = forms.ChoiceField(label=_("Role"), choices=must_choose(list(rules.ROLES.items())))
    area_code = forms.CharField(label=_("Area code"), max_length=15, required=False,
                                widget=forms.TextInput(attrs={"placeholder": _("Area code")}))


class PasswordForm(Form):
    password = forms.CharField(label=_("New password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("New password again"), widget=forms.PasswordInput, strip=False)

    def clean(self):
        data = super().clean()
        if data.get("password") != data.get("password2"):
            raise forms.ValidationError(_("The two passwords differ."))
        return data


class OwnPasswordForm(PasswordForm):
    """Changing one's own password: the current password first."""

    current_password = forms.CharField(label=_("Current password"), strip=False,
                                       widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    field_order = ["current_password", "password", "password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("password", "password2"):
            self.fields[name].widget.attrs["autocomplete"] = "new-password"
