"""Data-quality pages: the rules and past runs with a "run for an area" form, a run's
report (by rule and severity, by village, a rule's offending households), its Excel
export; and the possible-duplicates review queue.

Permissions: seeing rules, runs and reports needs registry.view (a run is visible when
its area is inside the viewer's scope); starting a run needs registry.edit at the area
(the people who correct the data start the checks; a run writes only its own report).
The duplicates queue shows people side by side and exists to be decided, so it needs
registry.edit, like its menu entry.
"""

from __future__ import annotations

import tempfile

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fupin.accounts.scoping import Scope, can, scope_for
from fupin.areas import queries as area_queries
from fupin.areas.models import Area
from fupin.audit import actions as audit
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import ActionError, Conflict, Forbidden
from fupin.core.forms import DateInput, Form
from fupin.core.tabular import write_xlsx
from fupin.core.views_util import get_or_404, require_perm
from fupin.jobs.models import Job
from fupin.jobs.queries import visible_jobs

from . import actions, codes, quality
from . import duplicates as dup
from .forms import work_year_field
from .models import DuplicateCandidate, QualityIssue


class AreaForm(Form):
    area_code = forms.CharField(label=gettext_lazy("Area code"), max_length=12, min_length=12,
                                help_text=gettext_lazy("12-digit code of a county, township or village in your area."))


class RunForm(AreaForm):
    on = forms.DateField(label=gettext_lazy("Reference date"),
                         help_text=gettext_lazy("Ages (school age, working age, head of household) are taken on "
                                                "this date."),
                         widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # a year of the work, bounded as every other (forms.work_year_field: the action's own check)
        self.fields["income_year"] = work_year_field(gettext_lazy("Income year"))
        self.fields["income_year"].help_text = gettext_lazy("The year whose income records are checked.")


# What a rule's detail is (QualityIssue.detail: the values its query wrote, see quality.py),
# said for the reader: a bare "2" of the two-heads rule is "2 heads". A detail that is a code
# is shown by its label in the code list named here. A rule not named shows its detail as it is.
BIRTH_DATE = gettext_lazy("Birth date: %(value)s")
DETAIL_TEXTS = {
    "id_format": gettext_lazy("%(value)s characters"),
    "id_birth_impossible": gettext_lazy("Date in the ID number: %(value)s"),
    "birth_mismatch_id": gettext_lazy("Birth date entered: %(value)s"),
    "sex_mismatch_id": gettext_lazy("Sex entered: %(value)s"),
    "age_impossible": BIRTH_DATE,
    "two_heads": gettext_lazy("%(value)s heads"),
    "head_under_age": BIRTH_DATE,
    "spouse_count": gettext_lazy("%(value)s spouses"),
    "child_older_than_head": gettext_lazy("Birth date < head's birth date: %(value)s"),
    "parent_younger_than_head": gettext_lazy("Birth date > head's birth date: %(value)s"),
    "size_mismatch": gettext_lazy("Household size ≠ active members: %(value)s"),
    "member_area_mismatch": gettext_lazy("Member's area code: %(value)s"),
    "school_age_out_of_school": BIRTH_DATE,
    "exited_child_out_of_school": BIRTH_DATE,
    "child_labour": BIRTH_DATE,
    "grade_not_disabled": gettext_lazy("Health: %(value)s"),
    "work_months_range": gettext_lazy("%(value)s months worked"),
    "identified_year_future": gettext_lazy("Year identified: %(value)s"),
    "exit_before_identified": gettext_lazy("Exit year < year identified: %(value)s"),
    "exit_year_not_exited": gettext_lazy("Exit year: %(value)s"),
    "planned_exit_before_identified": gettext_lazy("Planned exit year < year identified: %(value)s"),
    "return_before_exit": gettext_lazy("Return year: %(value)s"),
    "status_history_mismatch": gettext_lazy("Current status: %(value)s"),
    "no_income_last_year": gettext_lazy("Income year: %(value)s"),
    "income_total_mismatch": gettext_lazy("Year: total income ≠ sum of the items — %(value)s"),
    "per_capita_mismatch": gettext_lazy("Year: per-capita net income recorded — %(value)s"),
    "income_size_differs": gettext_lazy("Year: household size of that year ≠ active members — %(value)s"),
    "per_capita_above_line": gettext_lazy("Year: per-capita net income > national poverty line — %(value)s"),
    "danger_exited_no_renovation": gettext_lazy("Danger grade: %(value)s"),
    "irrigated_exceeds_arable": gettext_lazy("Irrigated area > arable area (mu): %(value)s"),
}
DETAIL_CODES = {"sex_mismatch_id": "sex", "grade_not_disabled": "health", "status_history_mismatch": "status",
                "danger_exited_no_renovation": "danger_grade"}


def detail_text(rule_code: str, detail: str) -> str:
    """An issue's detail as the report shows it (see DETAIL_TEXTS)."""
    if not detail:
        return ""
    value = codes.label(DETAIL_CODES[rule_code], detail) if rule_code in DETAIL_CODES else detail
    text = DETAIL_TEXTS.get(rule_code)
    return str(text) % {"value": value} if text is not None else detail


def _home_area(user, perm: str) -> str:
    scope = scope_for(user, perm)
    if scope.is_empty or scope.is_everything:
        return ""
    return scope.prefixes[0].ljust(12, "0")[:12]


def _card_links() -> bool:
    """Whether the household card page exists (it is built by other work on the registry)."""
    try:
        reverse("registry:household", args=[1])
    except NoReverseMatch:
        return False
    return True


def _area_names(codes_: set[str]) -> dict[str, str]:
    """{code: name} of the areas a page names (a retired village keeps its last name): areas.queries.names."""
    return area_queries.names(codes_)


# --- rules, runs, the run form ---------------------------------------------------------

@require_perm("registry.view")
def quality_home(request):
    user = request.user
    may_run = can(user, "registry.edit")
    today = clock.today()
    form = RunForm(request.POST or None, initial={"area_code": _home_area(user, "registry.edit"), "on": today,
                                                  "income_year": today.year - 1})
    if request.method == "POST":
        if not may_run:
            raise Forbidden(_("You may not start data-quality checks."))
        if form.is_valid():
            data = form.cleaned_data
            try:
                job = quality.start(Actor.from_request(request), data["area_code"], on=data["on"],
                                    income_year=data["income_year"])
            except ActionError as exc:
                form.add_error("area_code" if exc.field == "area_code" else None, str(exc.message))
            else:
                messages.success(request, _("The check has started: %(title)s.") % {"title": job.title})
                return redirect("registry:quality")
    runs = Paginator(quality.visible_runs(user).order_by("-created_at", "-pk"), settings.PAGE_SIZE).get_page(
        request.GET.get("page"))
    names = _area_names({r.area_code for r in runs})
    for r in runs:
        r.area_name = names.get(r.area_code, "")
    pending = visible_jobs(user).filter(kind="registry.quality", status__in=[Job.QUEUED, Job.RUNNING]).filter(
        scope_for(user, "registry.view").q("area_code"))[:20]
    rules = list(quality.rules().values())
    return render(request, "registry/quality.html", {
        "form": form if may_run else None, "runs": runs, "page_obj": runs, "pending": pending, "rules": rules,
        "counts": {s: sum(1 for r in rules if r.severity == s) for s in quality.SEVERITIES},
        "lines": sorted(quality.national_lines().items()), "lines_note": quality.LINES_NOTE,
    })


def _run_for(request, pk):
    run = get_or_404(quality.visible_runs(request.user), pk=pk)
    run.area = Area.objects.filter(code=run.area_code, valid_to__isnull=True).first()
    return run


def _issues(request, run):
    """The run's issues, scoped again by the viewer's area (belt and braces)."""
    return scope_for(request.user, "registry.view").filter(QualityIssue.objects.filter(run=run))


def _line_info(run) -> dict:
    year = run.income_year
    line = quality.national_lines().get(year) if year else None
    return {"year": year, "line": line, "source": quality.line_source(year) if year else ""}


def _by_rule(issues) -> list[dict]:
    counts = {r["rule"]: r for r in issues.values("rule").annotate(
        n=Count("pk"), households=Count("household", distinct=True)).order_by()}
    out = []
    for rule in quality.rules().values():
        c = counts.get(rule.code)
        out.append({"rule": rule, "n": c["n"] if c else 0, "households": c["households"] if c else 0})
    return out


def _by_village(issues):
    return (issues.annotate(village=Substr("area_code", 1, 12)).values("village")
            .annotate(errors=Count("pk", filter=Q(severity="error")), warnings=Count("pk", filter=Q(severity="warning")),
                      notes=Count("pk", filter=Q(severity="info")), households=Count("household", distinct=True))
            .order_by("village"))


@require_perm("registry.view")
def run_detail(request, pk):
    run = _run_for(request, pk)
    issues = _issues(request, run)
    by_rule = _by_rule(issues)
    by_severity = {s: sum(r["n"] for r in by_rule if r["rule"].severity == s) for s in quality.SEVERITIES}
    villages = Paginator(_by_village(issues), 100).get_page(request.GET.get("page"))
    names = _area_names({v["village"] for v in villages})
    for v in villages:
        v["name"] = names.get(v["village"], "")
    return render(request, "registry/quality_run.html", {
        "run": run, "by_rule": [r for r in by_rule if r["n"]], "clean_rules": [r for r in by_rule if not r["n"]],
        "by_severity": by_severity, "villages": villages, "page_obj": villages, "line": _line_info(run),
        "households": issues.values("household").distinct().count(),
    })


@require_perm("registry.view")
def run_rule(request, pk, code):
    run = _run_for(request, pk)
    rule = quality.get_rule(code)
    if rule is None:
        raise Http404
    issues = _issues(request, run).filter(rule=code).select_related("household", "household__village", "member")
    village = request.GET.get("village", "").strip()
    if not village.isdecimal():
        village = ""
    if village:
        issues = Scope([village]).filter(issues)
    page = Paginator(issues.order_by("area_code", "household__number", "pk"), settings.PAGE_SIZE).get_page(
        request.GET.get("page"))
    for issue in page.object_list:
        issue.detail_text = detail_text(code, issue.detail)
    return render(request, "registry/quality_rule.html", {
        "run": run, "rule": rule, "page_obj": page, "issues": page.object_list, "village": village,
        "village_name": _area_names({village}).get(village, "") if village else "", "card_links": _card_links(),
    })


@require_perm("registry.view")
def run_export(request, pk):
    """The report as an Excel workbook: by rule, by village, every issue. Household numbers and names
    are personal data, so the export is logged."""
    run = _run_for(request, pk)
    issues = _issues(request, run)
    rules = quality.rules()
    by_rule = _by_rule(issues)
    summary = [[r["rule"].message, r["rule"].severity_label, r["rule"].group_label, r["rule"].code, r["n"],
                r["households"], r["rule"].source_text] for r in by_rule]
    village_rows = list(_by_village(issues))
    names = _area_names({v["village"] for v in village_rows})
    line = _line_info(run)
    notes = [
        [_("Area"), f"{run.area_code} {run.area.name if run.area else ''}"],
        [_("Run at"), run.created_at.astimezone().strftime("%Y-%m-%d %H:%M")],
        [_("Reference date"), run.reference_date.isoformat() if run.reference_date else ""],
        [_("Income year"), line["year"] or ""],
        [_("National poverty line"), f"{line['line']} — {line['source']}" if line["line"] else _("none for that year")],
        [_("Note"), str(quality.LINES_NOTE)],
    ]

    def issue_rows():
        qs = issues.select_related("household", "household__village", "member").order_by(
            "area_code", "household__number", "rule", "pk")
        for i in qs.iterator(chunk_size=5000):
            r = rules.get(i.rule)
            yield [r.message if r else i.rule, r.severity_label if r else i.severity, i.rule, i.area_code,
                   i.household.village.name, i.household.number, i.household.head_name,
                   i.member.name if i.member else "", detail_text(i.rule, i.detail)]

    count = issues.count()
    tmp = tempfile.NamedTemporaryFile(suffix=".xlsx")  # closed (and removed) by the response
    write_xlsx(tmp, [_("Rule"), _("Severity"), _("Group"), _("Rule code"), _("Issues"), _("Households"), _("Source")],
               summary, sheet_name=_("By rule"), extra_sheets={
                   _("By village"): ([_("Village code"), _("Village"), _("Errors"), _("Warnings"), _("Notes"),
                                      _("Households")],
                                     ([v["village"], names.get(v["village"], ""), v["errors"], v["warnings"],
                                       v["notes"], v["households"]] for v in village_rows)),
                   _("Issues"): ([_("Rule"), _("Severity"), _("Rule code"), _("Area code"), _("Village"),
                                  _("Household number"), _("Head of household"), _("Member"), _("Detail")],
                                 issue_rows()),
                   _("About"): (["", ""], notes),
               })
    tmp.seek(0)
    audit.record_export(Actor.from_request(request), "registry.quality.export", area_code=run.area_code, count=count,
                        note=f"run {run.pk}")
    return FileResponse(tmp, as_attachment=True, filename=f"quality-{run.area_code}-{run.pk}.xlsx")


# --- possible duplicates ---------------------------------------------------------------

DUP_FILTERS = {"pending": DuplicateCandidate.PENDING, "same": DuplicateCandidate.SAME,
               "different": DuplicateCandidate.DIFFERENT}


@require_perm("registry.edit")
def duplicates(request):
    status = request.GET.get("status", "pending")
    qs = dup.candidates(request.user)
    if status in DUP_FILTERS:
        qs = qs.filter(status=DUP_FILTERS[status])
    page = Paginator(qs.order_by("area_code", "pk"), 20).get_page(request.GET.get("page"))
    for c in page:
        c.reason_label = dup.reason_label(c.reason)
        c.members = [c.a, c.b]
    return render(request, "registry/quality_duplicates.html", {
        "page_obj": page, "pairs": page.object_list, "status": status, "card_links": _card_links(),
        "status_choices": [("pending", _("Pending")), ("same", _("Same person")), ("different", _("Different people")),
                           ("all", _("All"))],
        "form": AreaForm(initial={"area_code": _home_area(request.user, "registry.edit")}),
        "pending_count": dup.candidates(request.user).filter(status=DuplicateCandidate.PENDING).count(),
    })


@require_POST
@require_perm("registry.edit")
def duplicate_decide(request, pk):
    candidate = get_or_404(dup.candidates(request.user), pk=pk)
    decision = request.POST.get("decision")
    back = reverse("registry:duplicates") + (f"?page={request.POST['page']}" if request.POST.get("page", "").isdecimal()
                                             else "")
    if decision not in ("same", "different"):
        messages.error(request, _("Choose “same person” or “different people”."))
        return redirect(back)
    try:
        actions.decide_duplicate(Actor.from_request(request), candidate, decision == "same",
                                 request.POST.get("note", "").strip())
    except Conflict:
        candidate.refresh_from_db()
        messages.error(request, _("%(a)s / %(b)s: someone else decided this pair already (%(who)s, %(when)s: "
                                  "%(what)s). Your decision was not recorded.") % {
            "a": candidate.a.name, "b": candidate.b.name,
            "who": candidate.decided_by.display_name if candidate.decided_by else "—",
            "when": candidate.decided_at.astimezone().strftime("%Y-%m-%d %H:%M") if candidate.decided_at else "",
            "what": _("same person") if candidate.status == DuplicateCandidate.SAME else _("different people")})
    except ActionError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("%(a)s / %(b)s: recorded as %(what)s.") % {
            "a": candidate.a.name, "b": candidate.b.name,
            "what": _("the same person") if decision == "same" else _("different people")})
    return redirect(back)


@require_POST
@require_perm("registry.edit")
def duplicates_find(request):
    form = AreaForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the 12-digit code of an area."))
        return redirect("registry:duplicates")
    try:
        job = dup.start(Actor.from_request(request), form.cleaned_data["area_code"])
    except ActionError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The search has started: %(title)s.") % {"title": job.title})
        if job.status == Job.SUCCEEDED and job.message:
            messages.info(request, job.message)
    return redirect("registry:duplicates")
