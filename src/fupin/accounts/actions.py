"""Every write to accounts: users, roles, passwords, tokens, sign-in bookkeeping."""

from __future__ import annotations

import datetime as dt
import secrets
import string
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from fupin.areas.models import Area, Unit
from fupin.audit import actions as audit
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import ActionError, Forbidden, Invalid, NotFound
from fupin.registry.rules import phone_problem

from . import rules
from .models import ApiToken, RoleAssignment, User
from .scoping import forget_roles, require, roles_of, scope_for

USER_FIELDS = ["username", "full_name", "unit_id", "post", "phone", "is_active"]


def generate_password() -> str:
    """A random password that passes the password rules."""
    alphabet = string.ascii_letters + string.digits
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(12)) + secrets.choice("!#%+-=@")
        if any(c.islower() for c in pw) and any(c.isupper() for c in pw) and any(c.isdigit() for c in pw):
            return pw


def _area(area_code: str) -> Area:
    try:
        return Area.objects.get(code=area_code, valid_to__isnull=True)
    except Area.DoesNotExist:
        raise Invalid(_("Area code %(code)s does not exist.") % {"code": area_code}, field="area") from None


def _area_for_role(role: str, area_code: str | None) -> Area | None:
    if role not in rules.ROLES:
        raise Invalid(_("Unknown role “%(role)s”.") % {"role": role}, field="role")
    if not area_code:
        if role == "admin":
            return None
        raise Invalid(_("A role needs an area code."), field="area")
    return _area(area_code)


def _check_grant(actor: Actor, role: str, area: Area | None) -> None:
    if actor.is_system:
        return
    if role in rules.ADMIN_GRANTED_ROLES and "admin" not in roles_of(actor.user):
        raise Forbidden(_("Only a system administrator may grant this role."), field="role")
    try:
        require(actor, "users.manage", area.code if area else "")
    except Forbidden:
        raise Forbidden(_("You may not grant roles in this area."), field="area") from None


def _check_fields(**values) -> None:
    """The model's own validation of each field (length, the user-name characters)."""
    for name, value in values.items():
        try:
            User._meta.get_field(name).clean(value, None)
        except ValidationError as exc:
            raise Invalid(" ".join(exc.messages), field=name) from None


def _check_phone(phone: str) -> None:
    """A user's phone follows the registry's rule for phones (registry.rules.PHONE_RULE)."""
    if phone and (problem := phone_problem(phone)):
        raise Invalid(problem, field="phone")


def _taken(username: str) -> Invalid:
    return Invalid(_("The user name “%(name)s” is taken.") % {"name": username}, field="username")


@dataclass(frozen=True)
class NewUser:
    """A new user's input as check_new_user found it: every problem, and the role's area
    (read once). create_checked_user creates it; made only by check_new_user."""

    actor: Actor
    username: str
    role: str | None
    area_code: str | None
    unit: Unit | None
    password: str | None
    full_name: str
    phone: str
    post: str
    area: Area | None
    problems: tuple[ActionError, ...]


def check_new_user(
    actor: Actor,
    *,
    username: str,
    role: str | None,
    area_code: str | None,
    unit: Unit | None = None,
    password: str | None = None,
    full_name: str = "",
    phone: str = "",
    post: str = "",
) -> NewUser:
    """Everything wrong with a new user, every field at once (a form shows them all; an import
    reports every column of a row), each error naming its field: username, full_name, phone,
    post, role, area, unit or password. Writes nothing. The user form checks in clean() and its
    view creates what it checked (create_checked_user), the users import likewise per row, so a
    user is checked once; create_user checks and creates in one call."""
    problems, area = _new_user_check(actor, username=username, role=role, area_code=area_code, unit=unit,
                                     password=password, full_name=full_name, phone=phone, post=post)
    return NewUser(actor=actor, username=(username or "").strip(), role=role, area_code=area_code, unit=unit,
                   password=password or None, full_name=full_name, phone=phone, post=post, area=area,
                   problems=tuple(problems))


def new_user_problems(actor: Actor, **fields) -> list[ActionError]:
    """check_new_user's problems alone."""
    return list(check_new_user(actor, **fields).problems)


def _new_user_check(actor: Actor, *, username, role, area_code, unit, password, full_name, phone,
                    post) -> tuple[list[ActionError], Area | None]:
    """new_user_problems' checks, each run once: (the problems, the role's area)."""
    problems: list[ActionError] = []
    area = None

    def check(fn, *args) -> bool:
        try:
            fn(*args)
        except ActionError as exc:
            problems.append(exc)
            return False
        return True

    def failed(field: str) -> bool:
        return any(p.field == field for p in problems)

    username = (username or "").strip()
    if not username:
        problems.append(Invalid(_("The user name is empty."), field="username"))
    for name, value in {"username": username, "full_name": full_name, "phone": phone, "post": post}.items():
        if not failed(name):
            check(lambda n=name, v=value: _check_fields(**{n: v}))
    if not failed("username") and User.objects.filter(username=username).exists():
        problems.append(_taken(username))
    if not failed("phone"):
        check(_check_phone, phone)
    if role not in rules.ROLES:
        check(_area_for_role, role or "", area_code)  # the unknown role
        if area_code:
            check(_area, area_code)
    else:
        try:
            area = _area_for_role(role, area_code)
        except ActionError as exc:
            problems.append(exc)
        else:
            check(_check_grant, actor, role, area)
    if unit is not None and not actor.is_system and not scope_for(actor.user, "users.manage").contains(unit.area_code):
        problems.append(Invalid(_("The unit is outside your area."), field="unit"))
    if password:
        check(_check_password, password, User(username=username, full_name=full_name, phone=phone, post=post))
    return problems, area


def user_area_code(user: User) -> str:
    """The area a user belongs to, for the audit log: the code of the widest area
    among their roles ("" for an administrator of the whole country)."""
    roles = list(user.roles.select_related("area"))
    if not roles:
        return ""
    widest = min(roles, key=lambda r: (len(r.prefix), r.prefix))
    return widest.area.code if widest.area_id else ""


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise Invalid(" ".join(exc.messages), field="password") from None


def create_user(
    actor: Actor,
    *,
    username: str,
    role: str,
    area_code: str | None,
    unit: Unit | None = None,
    password: str | None = None,
    full_name: str = "",
    phone: str = "",
    post: str = "",
) -> tuple[User, str]:
    """Create a user holding one role at one area. Returns the user and the password
    (generated when none is given, to be handed to the user once). Bad input raises the
    first of check_new_user()'s problems."""
    return create_checked_user(actor, check_new_user(
        actor, username=username, role=role, area_code=area_code, unit=unit,
        password=password or generate_password(), full_name=full_name, phone=phone, post=post))


def create_checked_user(actor: Actor, checked: NewUser) -> tuple[User, str]:
    """Create the user ``checked`` (check_new_user's answer, for this actor) describes: its
    first problem raised if it has any; its password generated (and checked) when it has none;
    a user name taken since the check refused all the same (the database's unique name)."""
    if checked.actor is not actor:
        raise ValueError("create_checked_user: the input was checked for another actor")
    if checked.problems:
        raise checked.problems[0]
    password = checked.password
    if not password:
        password = generate_password()
        _check_password(password, User(username=checked.username, full_name=checked.full_name, phone=checked.phone,
                                       post=checked.post))
    try:
        user = _save_new_user(actor, username=checked.username, role=checked.role, area=checked.area,
                              unit=checked.unit, password=password, full_name=checked.full_name,
                              phone=checked.phone, post=checked.post)
    except IntegrityError:
        if User.objects.filter(username=checked.username).exists():  # taken since the check
            raise _taken(checked.username) from None
        raise
    return user, password


@transaction.atomic
def _save_new_user(actor: Actor, *, username: str, role: str, area: Area | None, unit: Unit | None,
                   password: str, full_name: str, phone: str, post: str) -> User:
    """Write a checked new user, its role and the audit event."""
    user = User(username=username, full_name=full_name, unit=unit, phone=phone, post=post)
    user.set_password(password)
    user.is_staff = role == "admin"
    user.save()
    assignment = RoleAssignment.objects.create(
        user=user, role=role, area=area, prefix=area.prefix if area else ""
    )
    audit.record(actor, "accounts.user.create", obj=user, area_code=area.code if area else "",
                 after={**audit.snapshot(user, USER_FIELDS), "role": role, "area": assignment.prefix})
    return user


@transaction.atomic
def grant_role(actor: Actor, user: User, role: str, area_code: str | None) -> RoleAssignment:
    area = _area_for_role(role, area_code)
    _check_grant(actor, role, area)
    prefix = area.prefix if area else ""
    assignment, created = RoleAssignment.objects.get_or_create(user=user, role=role, prefix=prefix,
                                                               defaults={"area": area})
    if created:
        audit.record(actor, "accounts.role.grant", obj=user, area_code=area.code if area else "",
                     after={"role": role, "area": prefix})
    forget_roles(user)
    return assignment


@transaction.atomic
def revoke_role(actor: Actor, assignment: RoleAssignment) -> None:
    _check_grant(actor, assignment.role, assignment.area)
    user = assignment.user
    if user.roles.count() == 1 and user.is_active:
        raise Invalid(_("This is the user's last role; deactivate the user instead."))
    audit.record(actor, "accounts.role.revoke", obj=user, area_code=assignment.area.code if assignment.area else "",
                 before={"role": assignment.role, "area": assignment.prefix})
    assignment.delete()
    forget_roles(user)


def _require_manage_user(actor: Actor, user: User) -> None:
    if actor.is_system or actor.user == user:
        return
    scope = scope_for(actor.user, "users.manage")
    prefixes = list(user.roles.values_list("prefix", flat=True))
    if not prefixes or not all(scope.contains(p) for p in prefixes):
        raise NotFound()


@transaction.atomic
def set_password(actor: Actor, user: User, password: str) -> None:
    """An administrator or county office sets another user's password (no current
    password asked). One's own password is changed with change_own_password."""
    if not actor.is_system and actor.user == user:
        raise Invalid(_("Change your own password on the “My account” page, with your current password."),
                      field="password")
    _require_manage_user(actor, user)
    _check_password(password, user)
    _store_password(user, password)
    audit.record(actor, "accounts.user.set_password", obj=user, area_code=user_area_code(user))


def _store_password(user: User, password: str) -> None:
    """Save a new (already checked) password; the failure count and any lock end."""
    user.set_password(password)
    user.failed_logins = 0
    user.failed_since = None
    user.locked_until = None
    user.save(update_fields=["password", "failed_logins", "failed_since", "locked_until"])


def _locked_message(until: dt.datetime) -> str:
    return _("Too many wrong passwords: this account is locked until %(until)s.") % {
        "until": formats.date_format(timezone.localtime(until), "Y-m-d H:i")}


class WrongPassword(Invalid):
    """The current password given was wrong; ``locked_until`` is set when that failure
    locked the account."""

    def __init__(self, message, *, field=None, locked_until=None):
        super().__init__(message, field=field)
        self.locked_until = locked_until


def change_own_password(actor: Actor, current: str, password: str) -> None:
    """The signed-in user changes their own password, giving the current one. A wrong
    current password changes nothing, is audited and counts like a failed sign-in toward
    the lock-out (raises WrongPassword); while the account is locked nothing is checked."""
    user = actor.user
    if actor.is_system or user is None or not user.is_authenticated:
        raise Forbidden()
    until = locked_until(user.username)
    if until is not None:
        raise WrongPassword(_locked_message(until), field="current_password",
                            locked_until=until)
    if not user.check_password(current or ""):
        with transaction.atomic():  # committed: the failure counts although the change is refused
            locked = User.objects.select_for_update().get(pk=user.pk)
            until = _count_failure(locked, clock.now())
            audit.record(actor, "accounts.password.locked" if until else "accounts.password.wrong_current",
                         kind="auth", obj=locked, area_code=user_area_code(locked))
        if until is not None:
            raise WrongPassword(_locked_message(until), field="current_password",
                                locked_until=until)
        raise WrongPassword(_("The current password is wrong."), field="current_password")
    if password == current:
        raise Invalid(_("The new password is the same as the current one."), field="password")
    _check_password(password, user)
    with transaction.atomic():
        _store_password(user, password)
        audit.record(actor, "accounts.user.change_password", obj=user, area_code=user_area_code(user))


@transaction.atomic
def set_active(actor: Actor, user: User, active: bool) -> None:
    _require_manage_user(actor, user)
    if actor.user == user and not active:
        raise Invalid(_("You cannot deactivate yourself."))
    before = audit.snapshot(user, ["is_active"])
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit.record(actor, "accounts.user.activate" if active else "accounts.user.deactivate", obj=user,
                 area_code=user_area_code(user), before=before, after={"is_active": active})


@transaction.atomic
def unlock(actor: Actor, user: User) -> None:
    _require_manage_user(actor, user)
    User.objects.filter(pk=user.pk).update(failed_logins=0, failed_since=None, locked_until=None)
    audit.record(actor, "accounts.user.unlock", obj=user, area_code=user_area_code(user))


@transaction.atomic
def create_token(actor: Actor, user: User, label: str = "") -> str:
    """Issue an API token; the raw token is returned once and only its hash kept."""
    _require_manage_user(actor, user)
    raw = "fp_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, key_hash=ApiToken.hash(raw), prefix=raw[:8], label=label)
    audit.record(actor, "accounts.token.create", obj=user, area_code=user_area_code(user),
                 after={"token": token.prefix, "label": label})
    return raw


@transaction.atomic
def revoke_token(actor: Actor, token: ApiToken) -> None:
    _require_manage_user(actor, token.user)
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at"])
    audit.record(actor, "accounts.token.revoke", obj=token.user, area_code=user_area_code(token.user),
                 before={"token": token.prefix})


def token_user(raw: str) -> User | None:
    """The active user a raw API token belongs to, or None. Touches last_used_at."""
    try:
        token = ApiToken.objects.select_related("user").get(key_hash=ApiToken.hash(raw), revoked_at__isnull=True)
    except ApiToken.DoesNotExist:
        return None
    if not token.user.is_active:
        return None
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def _count_failure(user: User, now: dt.datetime) -> dt.datetime | None:
    """Count one failure (a wrong password) of a user row locked for update. Failures
    count within settings.LOCKOUT_WINDOW_MINUTES of the first of the count; one after
    that starts a new count. LOGIN_MAX_FAILURES of them lock the account for
    LOGIN_LOCK_MINUTES and end the count. Returns the lock end, if locked."""
    window = dt.timedelta(minutes=settings.LOCKOUT_WINDOW_MINUTES)
    if user.failed_logins == 0 or user.failed_since is None or now - user.failed_since >= window:
        user.failed_logins, user.failed_since = 1, now
    else:
        user.failed_logins += 1
    locked_until = None
    if user.failed_logins >= settings.LOGIN_MAX_FAILURES:
        user.locked_until = locked_until = now + dt.timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
        user.failed_logins, user.failed_since = 0, None
    user.save(update_fields=["failed_logins", "failed_since", "locked_until"])
    return locked_until


def login_failed(actor: Actor, username: str) -> dt.datetime | None:
    """Count a failed sign-in; lock the account after too many within the window.
    Returns the lock end, if locked."""
    now = clock.now()
    locked_until = None
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        if user is not None:
            locked_until = _count_failure(user, now)
        audit.record(actor, "accounts.login.locked" if locked_until else "accounts.login.failed", kind="auth",
                     object_type="accounts.user", object_id=str(user.pk) if user else "",
                     object_repr=username[:150], area_code=user_area_code(user) if user else "")
    return locked_until


def login_succeeded(actor: Actor, user: User) -> None:
    User.objects.filter(pk=user.pk).update(failed_logins=0, failed_since=None, locked_until=None,
                                           last_login=clock.now())
    audit.record(actor, "accounts.login", kind="auth", obj=user, area_code=user_area_code(user))


def locked_until(username: str) -> dt.datetime | None:
    user = User.objects.filter(username=username).only("locked_until").first()
    if user and user.locked_until and user.locked_until > clock.now():
        return user.locked_until
    return None
