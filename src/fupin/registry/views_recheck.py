"""一年一核, the yearly re-check: the rounds in the user's area, opening a round for an
area and year, a round's progress (checked / total, by village) and its unchecked
households, recording a household's check, and closing the round (which freezes that
year's snapshot of every household in it). A closed round's page shows that snapshot (the
tab ``show=snapshot``) and exports it to Excel (``&format=xlsx``: names of people, so it
needs ``registry.export``, holds the households of the user's export areas and is logged).

A round covers an area; its households may be checked by anyone who may edit the
registry where they live, so a village cadre sees the county's round, with the
households of their village only."""

from __future__ import annotations

import tempfile

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from fupin.accounts.scoping import can, scope_for
from fupin.areas import queries as area_queries
from fupin.areas import rules as area_rules
from fupin.areas.models import Area
from fupin.audit import actions as audit
from fupin.core import clock
from fupin.core.actor import Actor
from fupin.core.errors import ActionError, Forbidden, Invalid
from fupin.core.forms import Form
from fupin.core.tabular import write_xlsx
from fupin.core.views_util import get_or_404, require_perm

from . import actions, codes, rules
from .exporters import XLSX_MAX_ROWS
from .models import RecheckRound

# What a re-check may find changed (the form's check boxes); the record keeps their labels
# and the free text.
CHANGE_ITEMS = [
    ("members", gettext_lazy("Members (births, deaths, marriages, moves)")),
    ("income", gettext_lazy("Income")),
    ("causes", gettext_lazy("Causes of poverty")),
    ("housing", gettext_lazy("Housing, water or power")),
    ("school_health", gettext_lazy("Schooling, health or insurance")),
    ("work", gettext_lazy("Work and labour")),
    ("contact", gettext_lazy("Address, phone or bank account")),
    ("status", gettext_lazy("Status (exit, return) to be decided")),
]


class RecordForm(Form):
    nothing = forms.BooleanField(label=gettext_lazy("Nothing changed"), required=False)
    items = forms.MultipleChoiceField(label=gettext_lazy("What changed"), required=False, choices=CHANGE_ITEMS,
                                      widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=gettext_lazy("Details"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].widget.attrs["class"] = "form-check-input"

    def clean(self):
        data = super().clean()
        if not data.get("nothing") and not data.get("items") and not data.get("note"):
            raise forms.ValidationError(_("Say what changed, or tick “Nothing changed”."))
        if data.get("nothing") and data.get("items"):
            raise forms.ValidationError(_("“Nothing changed” and a change cannot both be ticked."))
        return data

    def changes_text(self) -> str:
        data = self.cleaned_data
        labels = dict(CHANGE_ITEMS)
        parts = [str(_("Nothing changed"))] if data["nothing"] else [str(labels[i]) for i in data["items"]]
        text = "; ".join(parts)
        if data["note"]:
            text = f"{text}: {data['note']}" if text else data["note"]
        return text


class OpenForm(Form):
    area = forms.ChoiceField(label=gettext_lazy("Area"))
    year = forms.IntegerField(label=gettext_lazy("Year"))

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [(a.code, f"{a.full_name} ({a.code})") for a in areas]
        first, last = rules.recheck_years(clock.today().year)  # the action's bounds (check_recheck_year)
        self.fields["year"].widget.attrs.update({"min": first, "max": last})

    def clean_year(self):
        try:
            return actions.check_recheck_year(self.cleaned_data["year"])
        except Invalid as exc:
            raise forms.ValidationError(str(exc.message), code="year") from None


# --- scoped reads ---------------------------------------------------------------------------

def _ancestor_codes(prefix: str) -> list[str]:
    return [prefix[:n].ljust(12, "0") for n in (2, 4, 6, 9) if n < len(prefix)]


def visible_rounds(user):
    """Rounds over an area in the user's scope, or over an area that contains part of it."""
    scope = scope_for(user, "registry.view")
    if scope.is_empty:
        return RecheckRound.objects.none()
    ancestors = {code for p in scope.prefixes for code in _ancestor_codes(p)}
    return RecheckRound.objects.filter(scope.q("area_code") | Q(area_code__in=ancestors)).select_related("area")


def visible_records(user, rnd: RecheckRound):
    """The round's records of households in the user's scope."""
    return scope_for(user, "registry.view").filter(rnd.records.all())


def visible_snapshots(user, rnd: RecheckRound, perm: str = "registry.view"):
    """The round's snapshot (its households' figures frozen at the close) of households in
    the user's scope for ``perm``, as the records."""
    return scope_for(user, perm).filter(rnd.snapshots.all())


def _round_or_404(request, pk) -> RecheckRound:
    return get_or_404(visible_rounds(request.user), pk=pk)


def _progress(records) -> dict:
    row = records.order_by().aggregate(total=Count("id"), checked=Count("id", filter=Q(checked=True)))
    total, checked = row["total"] or 0, row["checked"] or 0
    return {"total": total, "checked": checked, "unchecked": total - checked,
            "percent": int(checked * 100 / total) if total else 0}


def _openable_areas(user) -> list[Area]:
    """Where the user may open a round: the top of their edit scope and the areas one and
    two levels below (township, village)."""
    scope = scope_for(user, "registry.edit")
    if scope.is_empty:
        return []
    tops = [p for p in scope.prefixes if p]
    qs = Area.objects.filter(valid_to__isnull=True).exclude(level=area_rules.GROUP)
    if scope.is_everything:
        return list(qs.filter(level__in=[area_rules.PROVINCE]).order_by("code"))
    wanted = Q(code__in=[p.ljust(12, "0") for p in tops])
    for p in tops:
        below = [lv for lv in area_rules.LEVELS if area_rules.PREFIX_LENGTH[lv] > len(p)][:2]
        wanted |= Q(level__in=below) & scope.q("code") & Q(code__startswith=p)
    return list(qs.filter(wanted).select_related("parent").order_by("code")[:500])


# --- pages -------------------------------------------------------------------------------------

@require_perm("registry.view")
def rechecks(request):
    rounds = visible_rounds(request.user).order_by("-year", "area_code")
    rows = []
    for rnd in rounds[:200]:
        rows.append({"round": rnd, **_progress(visible_records(request.user, rnd))})
    areas = _openable_areas(request.user)
    form = OpenForm(areas=areas, initial={"year": clock.today().year}) if areas else None
    return render(request, "registry/rechecks.html", {"rows": rows, "form": form})


@require_POST
@require_perm("registry.edit")
def recheck_open(request):
    code = request.POST.get("area", "")
    area = scope_for(request.user, "registry.edit").get(
        Area.objects.filter(valid_to__isnull=True).exclude(level=area_rules.GROUP), "code", code=code)
    form = OpenForm(request.POST, areas=[area])
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
        return redirect("registry:rechecks")
    try:
        rnd = actions.open_recheck(Actor.from_request(request), area, form.cleaned_data["year"])
    except ActionError as exc:
        messages.error(request, str(exc.message))
        return redirect("registry:rechecks")
    messages.success(request, ngettext("Re-check round %(year)s of %(area)s opened: %(n)s household to check.",
                                       "Re-check round %(year)s of %(area)s opened: %(n)s households to check.",
                                       rnd.household_count)
                     % {"year": rnd.year, "area": area.name, "n": rnd.household_count})
    return redirect("registry:recheck", pk=rnd.pk)


@require_perm("registry.view")
def recheck(request, pk):
    rnd = _round_or_404(request, pk)
    records = visible_records(request.user, rnd)
    progress = _progress(records)
    by_village = list(records.order_by().annotate(v=Substr("area_code", 1, 12)).values("v")
                      .annotate(total=Count("id"), checked=Count("id", filter=Q(checked=True))).order_by("v"))
    names = area_queries.names(r["v"] for r in by_village)
    villages = [{"code": r["v"], "name": names.get(r["v"], r["v"]), "total": r["total"], "checked": r["checked"],
                 "percent": int(r["checked"] * 100 / r["total"]) if r["total"] else 0} for r in by_village]
    show = request.GET.get("show", "unchecked")
    closed = rnd.status == RecheckRound.CLOSED
    if show == "snapshot" and not closed:
        show = "unchecked"  # an open round has no snapshot yet
    village = request.GET.get("village", "")
    q = request.GET.get("q", "").strip()
    if show == "snapshot" and request.GET.get("format") == "xlsx":
        return _snapshot_export(request, rnd, village, q)
    if show == "snapshot":
        listed = _narrowed(visible_snapshots(request.user, rnd).select_related("household"), village, q)
    else:
        listed = _narrowed(records.filter(checked=(show == "checked")).select_related("household", "checked_by"),
                           village, q)
    page = Paginator(listed.order_by("area_code", "household__number"), settings.PAGE_SIZE).get_page(
        request.GET.get("page"))
    if show == "snapshot":
        _label_snapshots(page)
    else:
        for r in page:
            r.status_label = codes.label("status", r.household.status)
    return render(request, "registry/recheck.html", {
        "round": rnd, "progress": progress, "villages": villages, "page_obj": page, "show": show,
        "village": village, "q": q, "can_edit": can(request.user, "registry.edit"),
        "can_close": rnd.status == RecheckRound.OPEN and can(request.user, "registry.edit", rnd.area_code),
        "can_export": closed and not scope_for(request.user, "registry.export").narrow(rnd.area.prefix).is_empty,
        "whole": progress["total"] == rnd.household_count,
    })


def _narrowed(qs, village: str, q: str):
    """The records or snapshot rows of a village (a code prefix) and of a household number or head."""
    if village:
        qs = qs.filter(area_code__startswith=village)
    if q:
        qs = qs.filter(Q(household__number__startswith=q) | Q(household__head_name=q))
    return qs


def _label_snapshots(rows) -> None:
    """Labels of the snapshot rows of a page: status, category, main cause and village (one query)."""
    rows = list(rows)
    names = area_queries.names({s.area_code[:12] for s in rows})
    for s in rows:
        s.village_name = names.get(s.area_code[:12], s.area_code[:12])
        s.status_label = codes.label("status", s.status)
        s.category_label = codes.label("category", s.category)
        s.cause_label = codes.label("cause", s.main_cause)


def snapshot_headers(year: int) -> list[str]:
    return [_("Household number"), _("Head of household"), _("Village"), _("Status"), _("Category"),
            _("Main cause of poverty"), _("Household size"),
            _("Per-capita net income %(year)s (yuan)") % {"year": year}]


def _snapshot_rows(qs):
    chunk = []
    for s in qs.iterator(chunk_size=2000):
        chunk.append(s)
        if len(chunk) == 2000:
            yield from _snapshot_chunk(chunk)
            chunk = []
    yield from _snapshot_chunk(chunk)


def _snapshot_chunk(chunk):
    _label_snapshots(chunk)  # the villages' names: one query a chunk
    for s in chunk:
        yield [s.household.number, s.household.head_name, s.village_name, s.status_label, s.category_label,
               s.cause_label, s.size, None if s.per_capita is None else float(s.per_capita)]


def _snapshot_export(request, rnd: RecheckRound, village: str, q: str):
    """A closed round's snapshot as Excel: names of people, so it needs ``registry.export``
    and holds only the households of the user's export areas (narrowed to the page's village
    and search); logged as an export of the area it covers."""
    export_scope = scope_for(request.user, "registry.export").narrow(rnd.area.prefix)  # its areas in the round's
    if rnd.status != RecheckRound.CLOSED or export_scope.is_empty:
        raise Forbidden()
    qs = (_narrowed(visible_snapshots(request.user, rnd, "registry.export"), village, q).select_related("household")
          .order_by("area_code", "household__number"))
    count = qs.count()
    if count > XLSX_MAX_ROWS:  # (an Excel sheet would silently drop the rest)
        messages.error(request, _("The snapshot has more households than an Excel sheet can hold: choose a "
                                  "village or a township first."))
        return redirect(f"{request.path}?show=snapshot")
    if area_rules.is_valid_code(village) and export_scope.contains(village):
        code = village
    elif export_scope.contains(rnd.area_code):
        code = rnd.area_code
    else:  # the user's export areas inside the round's
        code = area_rules.common_area_code(p.ljust(12, "0") for p in export_scope.prefixes
                                           if p.startswith(rnd.area.prefix))
    tmp = tempfile.TemporaryFile()
    write_xlsx(tmp, snapshot_headers(rnd.year), _snapshot_rows(qs),
               sheet_name=_("Re-check %(year)s snapshot") % {"year": rnd.year})
    tmp.seek(0)
    audit.record_export(Actor.from_request(request), "registry.export", area_code=code, count=count,
                        note=f"recheck snapshot {rnd.year} round {rnd.pk}")
    response = StreamingHttpResponse(iter(lambda: tmp.read(65536), b""),
                                     content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="recheck-{rnd.year}-{rnd.area_code}.xlsx"'
    return response


@require_perm("registry.view")
def recheck_record(request, pk, record_pk):
    rnd = _round_or_404(request, pk)
    record = get_or_404(visible_records(request.user, rnd).select_related("household", "household__village",
                                                                          "checked_by"), pk=record_pk)
    household = record.household
    form = RecordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.record_recheck(Actor.from_request(request), record, form.changes_text())
        except ActionError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Household %(n)s checked.") % {"n": household.number})
            following = (visible_records(request.user, rnd).filter(checked=False)
                         .filter(area_code__startswith=record.area_code[:12]).order_by("area_code", "household__number")
                         .values_list("pk", flat=True).first())
            if following and request.POST.get("next") == "1":
                return redirect("registry:recheck_record", pk=rnd.pk, record_pk=following)
            return redirect("registry:recheck", pk=rnd.pk)
    members = household.members.filter(active=True).order_by("relation", "birth_date")
    return render(request, "registry/recheck_record.html", {
        "round": rnd, "record": record, "household": household, "members": members, "form": form,
        "status_label": codes.label("status", household.status),
        "category_label": codes.label("category", household.category),
        "causes": [codes.label("cause", c) for c in household.causes()],
        "latest_income": household.incomes.order_by("-year").first(),
        "can_edit": rnd.status == RecheckRound.OPEN and can(request.user, "registry.edit", record.area_code),
    })


@require_POST
@require_perm("registry.view")
def recheck_close(request, pk):
    rnd = _round_or_404(request, pk)
    if not can(request.user, "registry.edit", rnd.area_code):
        raise Forbidden()  # a round over a larger area than the user's: not theirs to close
    try:
        actions.close_recheck(Actor.from_request(request), rnd, force=request.POST.get("force") == "1")
    except ActionError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, ngettext("The round is closed and the year's snapshot of %(n)s household is kept.",
                                           "The round is closed and the year's snapshot of %(n)s households is kept.",
                                           rnd.household_count) % {"n": rnd.household_count})
    return redirect("registry:recheck", pk=rnd.pk)
