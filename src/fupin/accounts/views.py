from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.areas.queries import units as scoped_units
from fupin.core.actor import Actor
from fupin.core.errors import ActionError, NotFound
from fupin.core.forms import UploadForm
from fupin.core.uploads import save_upload, sent_name
from fupin.core.views_util import get_or_404, require_perm, sorted_qs
from fupin.jobs import actions as jobs

from . import actions, importers, rules
from .forms import LoginForm, OwnPasswordForm, PasswordForm, RoleForm, UserCreateForm
from .models import ApiToken, RoleAssignment
from .queries import search_users, visible_users
from .scoping import can, home_code, scope_for


@login_not_required
def login(request):
    if request.user.is_authenticated:
        return redirect("core:home")
    username = request.POST.get("username", "") if request.method == "POST" else ""
    form = LoginForm(request, data=request.POST or None,
                     locked_until=actions.locked_until(username) if username else None)
    if request.method == "POST":
        if form.is_valid():
            user = form.get_user()
            auth_login(request, user)
            actions.login_succeeded(Actor.from_request(request), user)
            target = request.POST.get("next") or request.GET.get("next")
            if target and url_has_allowed_host_and_scheme(target, {request.get_host()},
                                                          require_https=request.is_secure()):
                return redirect(target)
            return redirect("core:home")
        if form.locked_until is None:  # a failure while locked does not count again
            until = actions.login_failed(Actor.from_request(request), username)
            form.errors.pop("__all__", None)
            if until is not None:
                form.add_error(None, form.locked_error(until))
            else:
                form.add_error(None, form.error_messages["invalid_login"] % {
                    "max": settings.LOGIN_MAX_FAILURES, "minutes": settings.LOGIN_LOCK_MINUTES})
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")})


@require_POST
def logout(request):
    auth_logout(request)
    return redirect("accounts:login")


def profile(request):
    form = OwnPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.change_own_password(Actor.from_request(request), data["current_password"], data["password"])
        except actions.WrongPassword as exc:
            if exc.locked_until is not None:
                # Locked by too many wrong passwords: this session ends too.
                auth_logout(request)
                messages.error(request, str(exc.message))
                return redirect("accounts:login")
            form.add_error("current_password", str(exc.message))
        except ActionError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            # The session hash follows the password: this session stays valid, the
            # user's other sessions end (their stored hash no longer matches).
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password was changed."))
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {
        "form": form, "roles": request.user.roles.select_related("area"),
        "tokens": request.user.api_tokens.filter(revoked_at__isnull=True)})


@require_perm("users.view")
def users(request):
    q, role = request.GET.get("q", "").strip(), request.GET.get("role", "")
    qs = sorted_qs(request, search_users(request.user, q, role),
                   {"username": "username", "full_name": "full_name", "unit": "unit__name",
                    "last_login": "last_login"}, "username")
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/users.html", {
        "page_obj": page, "q": q, "role": role, "roles": rules.ROLES.items(),
        "can_manage": can(request.user, "users.manage")})


def _user_or_404(request, pk):
    return get_or_404(visible_users(request.user), pk=pk)


@require_perm("users.view")
def user_detail(request, pk):
    target = _user_or_404(request, pk)
    manage = can(request.user, "users.manage") and (
        target == request.user or all(scope_for(request.user, "users.manage").contains(r.prefix)
                                      for r in target.roles.all()))
    return render(request, "accounts/user_detail.html", {
        "target": target, "roles": target.roles.select_related("area"), "can_manage": manage,
        "role_form": RoleForm(), "password_form": PasswordForm() if target != request.user else None,
        "tokens": target.api_tokens.filter(revoked_at__isnull=True)})


@require_perm("users.manage")
def user_create(request):
    units = scoped_units(scope_for(request.user, "users.manage"))
    actor = Actor.from_request(request)
    form = UserCreateForm(request.POST or None, units=units, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:  # (what the form checked: a user is checked once)
            user, password = actions.create_checked_user(actor, form.checked)
        except ActionError as exc:  # (what changed since the form's check: a name taken meanwhile)
            form.add_error(form.ACTION_FIELDS.get(exc.field or ""), str(exc.message))
        else:
            messages.success(request, _("User %(name)s created. Initial password (shown once): %(pw)s")
                             % {"name": user.username, "pw": password})
            return redirect("accounts:user", pk=user.pk)
    return render(request, "accounts/user_form.html", {"form": form})


def _manage_action(request, pk, fn, success):
    target = _user_or_404(request, pk)
    try:
        result = fn(Actor.from_request(request), target)
    except NotFound:
        raise
    except ActionError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, success(result) if callable(success) else success)
    return redirect("accounts:user", pk=target.pk)


@require_POST
@require_perm("users.manage")
def user_role_add(request, pk):
    _user_or_404(request, pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role and an area."))
        return redirect("accounts:user", pk=pk)
    return _manage_action(request, pk, lambda a, u: actions.grant_role(
        a, u, form.cleaned_data["role"], form.cleaned_data["area_code"].strip() or None), _("Role granted."))


@require_POST
@require_perm("users.manage")
def user_role_remove(request, pk, role_pk):
    target = _user_or_404(request, pk)
    assignment = get_or_404(RoleAssignment.objects.filter(user=target), pk=role_pk)
    return _manage_action(request, pk, lambda a, u: actions.revoke_role(a, assignment), _("Role removed."))


@require_POST
@require_perm("users.manage")
def user_password(request, pk):
    _user_or_404(request, pk)
    form = PasswordForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors.get("__all__", [])) or _("Check the password."))
        return redirect("accounts:user", pk=pk)
    return _manage_action(request, pk, lambda a, u: actions.set_password(a, u, form.cleaned_data["password"]),
                          _("Password set."))


@require_POST
@require_perm("users.manage")
def user_active(request, pk):
    active = request.POST.get("active") == "1"
    return _manage_action(request, pk, lambda a, u: actions.set_active(a, u, active),
                          _("User enabled.") if active else _("User disabled."))


@require_POST
@require_perm("users.manage")
def user_unlock(request, pk):
    return _manage_action(request, pk, actions.unlock, _("Account unlocked."))


@require_POST
@require_perm("users.manage")
def user_token(request, pk):
    return _manage_action(request, pk, lambda a, u: actions.create_token(a, u, request.POST.get("label", "")),
                          lambda raw: _("API token (shown once, copy it now): %(token)s") % {"token": raw})


@require_POST
def token_revoke(request, token_pk):
    token = get_or_404(ApiToken.objects.filter(user__in=visible_users(request.user, "users.manage")), pk=token_pk)
    try:
        actions.revoke_token(Actor.from_request(request), token)
    except ActionError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Token revoked."))
    back = request.POST.get("back", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, require_https=request.is_secure()):
        back = reverse("accounts:profile")
    return redirect(back)


@require_perm("users.manage")
def users_import(request):
    from .tasks import import_users_task

    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        path = save_upload(form.cleaned_data["file"], "users")
        job = jobs.start(Actor.from_request(request), import_users_task, kind="accounts.import_users",
                         title=_("Import users from %(name)s") % {"name": sent_name(form.cleaned_data["file"].name)},
                         area_code=home_code(request.user, "users.manage"), params={"path": str(path)})
        return redirect("jobs:detail", pk=job.pk)
    return render(request, "accounts/users_import.html", {
        "form": form, "data_sheet": importers.DATA_SHEET, "explain_sheet": importers.EXPLAIN_SHEET})


@require_perm("users.view")
def users_template(request):
    return importers.template_response()
