"""Public-welfare and forest-ranger posts (seed 003 第三篇): posts, agreements with
members, inspections, the decision when the rule allows ending an agreement, and the
month's payment list (computed pay after deductions; Excel, logged as an export)."""

from __future__ import annotations

import io

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.accounts.scoping import can, scope_for
from fupin.audit import actions as audit
from fupin.core import clock
from fupin.core.errors import ActionError, Forbidden, NotFound
from fupin.core.masking import mask
from fupin.core.tabular import write_xlsx
from fupin.core.views_util import require_perm
from fupin.registry.models import Member

from .. import actions, catalog, queries, rules
from ..forms import AgreementForm, DecisionForm, InspectionForm, PostForm
from ..models import Agreement, Post
from .common import (
    EDIT,
    VIEW,
    actor,
    area_context,
    form_error,
    parse_month,
    scoped_area,
    units_for,
    villages_datalist,
)


@require_perm(VIEW)
def posts(request):
    scope, _area, ctx = area_context(request)
    today = clock.today()
    qs = (scope.filter(Post.objects.all()).select_related("area", "employer")
          .annotate(holders=Count("agreements", filter=Q(agreements__status=Agreement.ACTIVE,
                                                          agreements__end__gte=today)))
          .order_by("area_code", "name"))
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    for p in page.object_list:
        p.kind_label = catalog.post_kind_label(p.kind)
    return render(request, "assistance/posts.html", {**ctx, "page_obj": page, "can_edit": can(request.user, EDIT)})


@require_perm(EDIT)
def post_create(request):
    scope = scope_for(request.user, EDIT)
    rule = catalog.pay_rules()[0]
    form = PostForm(request.POST or None, units=units_for(scope), initial={"rule": rule["code"]})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            target = scoped_area(request, d["area_code"], levels=("village", "township"))
            post = actions.save_post(actor(request), None, kind=d["kind"], name=d["name"], area=target,
                                     start=d["start"], end=d["end"], rule=d["rule"], annual_pay=d["annual_pay"],
                                     employer=d["employer"], mu=d["mu"] or 0, east=d["east"], south=d["south"],
                                     west=d["west"], north=d["north"])
        except ActionError as exc:
            form_error(request, form, exc)
        else:
            messages.success(request, _("Post recorded."))
            return redirect("assistance:post", pk=post.pk)
    return render(request, "assistance/post_form.html", {"form": form, "villages": villages_datalist(scope),
                                                         "rules": catalog.pay_rules()})


@require_perm(VIEW)
def post_detail(request, pk):
    post = queries.post(request.user, pk)
    agreements = scope_for(request.user, VIEW).filter(post.agreements.all()).select_related("member").order_by(
        "-start")
    rule = catalog.pay_rule(post.rule)
    return render(request, "assistance/post.html", {
        "post": post, "agreements": agreements, "rule": rule, "kind_label": catalog.post_kind_label(post.kind),
        "monthly": rules.month_pay(rule, 0, post.annual_pay) if rule else None,
        "steps": [{**s, **rules.month_pay(rule, s["min_absences"], post.annual_pay)} for s in rule["steps"]]
        if rule else [],
        "can_edit": can(request.user, EDIT, post.area_code), "form": AgreementForm(
            initial={"start": post.start, "end": post.end})})


@require_POST
@require_perm(EDIT)
def agreement_create(request, pk):
    post = queries.post(request.user, pk, EDIT)
    form = AgreementForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        member = scope_for(request.user, EDIT).filter(
            Member.objects.filter(id_number=d["member_id_number"].strip().upper(), active=True)).select_related(
            "household").first()
        if member is None:
            messages.error(request, _("No active member with that ID number in your area."))
        else:
            try:
                agreement = actions.sign_agreement(actor(request), post, member, d["start"], d["end"])
            except ActionError as exc:
                form_error(request, None, exc)
            else:
                messages.success(request, _("Agreement recorded."))
                return redirect("assistance:agreement", pk=agreement.pk)
    else:
        messages.error(request, _("Give the member's ID number and the dates."))
    return redirect("assistance:post", pk=post.pk)


@require_perm(VIEW)
def agreement_detail(request, pk):
    agreement = queries.agreement(request.user, pk)
    rule = catalog.pay_rule(agreement.post.rule)
    inspections = list(agreement.inspections.select_related("recorded_by").order_by("-date", "-pk"))
    last = min(agreement.ended_on or agreement.end, clock.today())
    months = []
    absences: dict = {}
    for i in inspections:
        if not i.present:
            key = rules.month_start(i.date)
            absences[key] = absences.get(key, 0) + 1
    for month in reversed(rules.months_between(agreement.start, last)):
        row = rules.month_pay(rule, absences.get(month, 0), agreement.post.annual_pay)
        row["month"] = month
        months.append(row)
    decisions = {d.month: d for d in agreement.decisions.select_related("decided_by")}
    for row in months:
        row["decision"] = decisions.get(row["month"])
    return render(request, "assistance/agreement.html", {
        "agreement": agreement, "rule": rule, "inspections": inspections, "months": months,
        "can_edit": can(request.user, EDIT, agreement.area_code), "inspection_form": InspectionForm(),
        "decision_form": DecisionForm(), "total": sum((r["pay"] for r in months), 0)})


@require_POST
@require_perm(EDIT)
def inspection_add(request, pk):
    agreement = queries.agreement(request.user, pk, EDIT)
    form = InspectionForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            actions.record_inspection(actor(request), agreement, d["date"], d["present"], d["note"])
        except ActionError as exc:
            form_error(request, None, exc)
        else:
            messages.success(request, _("Inspection recorded."))
    else:
        messages.error(request, _("Give the date and whether the holder was at work."))
    return redirect("assistance:agreement", pk=agreement.pk)


@require_POST
@require_perm(EDIT)
def agreement_decide(request, pk):
    agreement = queries.agreement(request.user, pk, EDIT)
    form = DecisionForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            actions.decide(actor(request), agreement, parse_month(d["month"]), d["decision"], d["reason"],
                           end_on=d["end_on"])
        except ActionError as exc:
            form_error(request, None, exc)
        else:
            messages.success(request, _("Decision recorded."))
    else:
        messages.error(request, _("Give the month, the decision and its reason."))
    return redirect("assistance:agreement", pk=agreement.pk)


PAYMENT_HEADERS = ["乡镇", "村", "岗位", "姓名", "身份证号", "开户银行", "银行账号（一卡通）", "月份", "应发（元）",
                   "不在岗次数", "扣减比例（%）", "扣减（元）", "实发（元）", "可终止协议"]


@require_perm(VIEW)
def payments(request):
    """The month's payable amounts for every agreement of the area: on the page (personal
    numbers masked), and as an Excel payment list (unmasked; registry.export; logged)."""
    scope, area, ctx = area_context(request)
    month = parse_month(request.GET.get("month"))
    rows = []
    for a in queries.month_rows(scope, month):
        rule = catalog.pay_rule(a.post.rule)
        pay = rules.month_pay(rule, a.absences, a.post.annual_pay)
        rows.append({"agreement": a, **pay})
    total = sum((r["pay"] for r in rows), 0)
    if request.GET.get("format") == "xlsx":
        if not can(request.user, "registry.export"):
            raise Forbidden()
        export_scope = scope_for(request.user, "registry.export").narrow(area.prefix if area else None)
        if export_scope.is_empty:
            raise NotFound()
        rows = [r for r in rows if export_scope.contains(r["agreement"].area_code)]
        return _payment_xlsx(request, rows, month, area.code if area else "")
    for r in rows:
        a = r["agreement"]
        r["id_masked"] = mask("id_number", a.member.id_number)
        r["bank_masked"] = mask("bank_account", a.household.bank_account)
    return render(request, "assistance/payments.html", {
        **ctx, "rows": rows, "month": month, "total": total, "can_export": can(request.user, "registry.export")})


def _payment_xlsx(request, rows, month, area_code: str) -> HttpResponse:
    from fupin.areas.models import Area

    townships = dict(Area.objects.filter(code__in={r["agreement"].area_code[:9] + "000" for r in rows},
                                         valid_to__isnull=True).values_list("code", "name"))
    out = io.BytesIO()
    write_xlsx(out, PAYMENT_HEADERS, (
        [townships.get(r["agreement"].area_code[:9] + "000", ""), r["agreement"].household.village.name,
         r["agreement"].post.name, r["agreement"].member.name, r["agreement"].member.id_number or "",
         r["agreement"].household.bank_name, r["agreement"].household.bank_account, month.strftime("%Y-%m"),
         str(r["monthly"]), r["absences"], str(r["deduct_percent"]), str(r["deduction"]), str(r["pay"]),
         "是" if r["may_end"] else ""] for r in rows), sheet_name=f"{month:%Y-%m} 管护补助发放")
    audit.record_export(actor(request), "assistance.posts.payments", area_code=area_code, count=len(rows),
                        note=month.strftime("%Y-%m"))
    response = HttpResponse(out.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="post-payments-{month:%Y-%m}.xlsx"'
    return response
