"""Entering a year's income (经济收入一本账); the page shows the computed per-capita net
income and its breakdown."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from fupin.accounts.scoping import can
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import ActionError
from fupin.core.views_util import require_perm

from .. import actions, queries, rules
from ..forms import IncomeForm, add_action_error
from ..models import Income
from .common import income_breakdown, income_table


@require_perm("registry.view")
def household_income(request, pk):
    h = queries.household(request.user, pk)
    year_text = request.GET.get("year", "")
    year = int(year_text) if year_text.isdecimal() and len(year_text) == 4 else clock.today().year - 1
    income = Income.objects.filter(household=h, year=year).first()
    initial = {"year": year}
    if income is not None:
        initial.update({f: getattr(income, f) for f in actions.INCOME_FIELDS})
        initial["note"] = income.note
    form = IncomeForm(request.POST or None, initial=initial)
    can_edit = can(request.user, "registry.edit", h.area_code)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = actions.save_income(Actor.from_request(request), h, data["year"], note=data["note"],
                                        **form.amounts())
        except ActionError as exc:
            add_action_error(form, exc)
        else:
            messages.success(request, _("Income of %(year)s saved: per-capita net income %(pc)s yuan.")
                             % {"year": saved.year, "pc": saved.per_capita})
            return redirect(reverse("registry:household_income", args=[h.pk]) + f"?year={saved.year}")
    recent = list(h.incomes.order_by("-year")[:5])[::-1]
    return render(request, "registry/household_income.html", {
        "household": h, "form": form, "year": year, "income": income, "groups": list(rules.INCOME_GROUPS.items()),
        "result": income_breakdown(income) if income else None, "can_edit": can_edit,
        "table": income_table(recent) if recent else None,
        "years": list(h.incomes.order_by("-year").values_list("year", flat=True))})
