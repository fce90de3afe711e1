"""The seed's three forms (seed 003 第二篇, 附件 1–3) and the 低保 linkage report
(两项制度衔接), as rows for pages and as Excel files. Every function takes a queryset
or scope the caller has already scoped (queries.py); the views log every view and
every export.

1. 建档立卡贫困人口财产检索结果核查表 — one row per hit (``check_rows``);
2. 建档立卡对象财产检索结果核查处理意见表 — one row per decision (``opinion_rows``);
3. 建档立卡对象财产检索结果核查情况统计表 — counts by township, village and kind
   (``summary``: aggregate queries, never a loop over hits)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import batched

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Substr
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fupin.accounts.scoping import Scope
from fupin.areas import queries as area_queries
from fupin.core.tabular import write_xlsx
from fupin.registry.models import Household, Member

from . import rules
from .matching import REMOVED
from .models import ExternalDataset, ExternalRecord, Hit
from .queries import count_kinds, records_in_scope

FORMS = {
    "check": gettext_lazy("Property check results (建档立卡贫困人口财产检索结果核查表)"),
    "opinions": gettext_lazy("Decisions on the results (建档立卡对象财产检索结果核查处理意见表)"),
    "summary": gettext_lazy("Statistics of the check (建档立卡对象财产检索结果核查情况统计表)"),
}
WORK_MEM = "64MB"  # PostgreSQL: memory for the reports' hash joins over a province (the default is 4MB)


@contextlib.contextmanager
def big_queries():
    """A transaction whose hash joins may use WORK_MEM (PostgreSQL); reads only."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '" + WORK_MEM + "'")
        yield


def area_names(codes: Iterable[str]) -> dict[str, str]:
    """{code: name} of the areas of hits, records and data sets (areas.queries.names: in
    batches, a retired area by its last name, an unknown code absent). "" is left out:
    the pages and forms say "the whole country" or leave the cell empty themselves."""
    return area_queries.names(c for c in codes if c)


def describe(kind: rules.Kind, record: ExternalRecord) -> str:
    """What the record says, in the department's own column names: '号牌号码: 赣B12345; 车辆类型: 小型轿车'."""
    parts = []
    data = record.data or {}
    for col in kind.extra_columns:
        value = data.get(col.field)
        if value not in (None, ""):
            parts.append(f"{col.header}: {value}")
    return "; ".join(parts)


def _hit_qs(qs: QuerySet) -> QuerySet:
    return qs.select_related("record", "member", "household", "dataset", "decided_by", "reviewed_by").order_by(
        "area_code", "household_id", "kind", "id")


def _places(hits: list[Hit]) -> dict[str, str]:
    return area_names({h.area_code[:12] for h in hits} | {h.area_code[:9].ljust(12, "0") for h in hits})


def _pages(qs: QuerySet, size: int = 2000) -> Iterator[tuple]:
    """The rows in pages, streamed (one server-side cursor); area names are fetched per page."""
    return batched(qs.iterator(chunk_size=size), size)


def check_headers() -> list[str]:
    return [_("No."), _("Township"), _("Village"), _("Household number"), _("Head of household"), _("Name"),
            _("ID number"), _("Kind of data"), _("What was found"), _("Date"), _("Amount (yuan)"),
            _("Identification cut-off"), _("Before or after"), _("Status"), _("Decision")]


def check_rows(qs: QuerySet) -> Iterator[list]:
    n = 0
    for page in _pages(_hit_qs(qs)):
        names = _places(page)
        for h in page:
            n += 1
            kind = rules.kinds().get(h.kind)
            yield [n, names.get(h.area_code[:9].ljust(12, "0"), ""), names.get(h.area_code[:12], ""),
                   h.household.number, h.household.head_name, h.member.name, h.member.id_number or "",
                   kind.zh if kind else h.kind, describe(kind, h.record) if kind else h.record.key, _date(h.event_date), _amount(h.amount), _date(h.cutoff),
                   str(rules.PHASES.get(h.phase, h.phase)), str(rules.STATUSES.get(h.status, h.status)),
                   str(rules.DECISIONS.get(h.decision, ""))]


def opinion_headers() -> list[str]:
    return [_("No."), _("Township"), _("Village"), _("Household number"), _("Name"), _("ID number"),
            _("Kind of data"), _("What was found"), _("Date"), _("Identification cut-off"), _("Before or after"),
            _("Decision"), _("Reason"), _("Decided by"), _("Decided on"), _("Status"), _("Reviewed by"),
            _("Reviewed on"), _("Township's note")]


def opinion_rows(qs: QuerySet) -> Iterator[list]:
    n = 0
    for page in _pages(_hit_qs(qs.exclude(decision=""))):
        names = _places(page)
        for h in page:
            n += 1
            kind = rules.kinds().get(h.kind)
            yield [n, names.get(h.area_code[:9].ljust(12, "0"), ""), names.get(h.area_code[:12], ""),
                   h.household.number, h.member.name, h.member.id_number or "", kind.zh if kind else h.kind,
                   describe(kind, h.record) if kind else h.record.key,
                   _date(h.event_date), _date(h.cutoff), str(rules.PHASES.get(h.phase, h.phase)),
                   str(rules.DECISIONS.get(h.decision, "")), h.reason, _user(h.decided_by), _date(h.decided_at),
                   str(rules.STATUSES.get(h.status, h.status)), _user(h.reviewed_by), _date(h.reviewed_at),
                   h.review_note]


def _date(value) -> str:
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d")


def _amount(value) -> str:
    return "" if value is None else f"{value:.2f}"


def _user(user) -> str:
    if user is None:
        return ""
    return getattr(user, "full_name", "") or user.get_username()


# --- 核查情况统计表 -------------------------------------------------------------------------

SUMMARY_COUNTS = {
    "total": Count("id"),
    "people": Count("member_id", distinct=True),
    "households": Count("household_id", distinct=True),
    # before, no cut-off date set, date unknown, after, information only: the count kinds
    # (rules.COUNT_KINDS; matching.phase_case puts both kinds not sorted before or after in UNDATED)
    **count_kinds(),
    "open": Count("id", filter=Q(status=rules.OPEN)),
    "veto": Count("id", filter=Q(decision=rules.VETO)),
    "kept": Count("id", filter=Q(decision=rules.KEPT)),
    "error": Count("id", filter=Q(decision=rules.ERROR)),
    "approved": Count("id", filter=Q(status__in=[rules.APPROVED, rules.ARCHIVED])),
    "archived": Count("id", filter=Q(status=rules.ARCHIVED)),
}


def summary_labels() -> dict[str, str]:
    return {"total": _("Hits"), "people": _("People"), "households": _("Households"),
            rules.BEFORE: _("Before the cut-off"), rules.NO_CUTOFF: _("No cut-off date set"),
            rules.UNDATED: _("Date unknown"), rules.AFTER: _("After the cut-off"),
            rules.INFO: _("Information only"), "open": _("Not decided yet"), "veto": _("Veto confirmed"),
            "kept": _("Kept with a reason"), "error": _("Data error"), "approved": _("Approved by the township"),
            "archived": _("Archived")}


@dataclass
class SummaryRow:
    level: str  # village | township | total
    township: str
    village: str
    kind: str
    counts: dict

    @property
    def kind_label(self) -> str:
        k = rules.kinds().get(self.kind)
        return k.zh if k else (self.kind or _("All kinds"))


def summary(qs: QuerySet) -> list[SummaryRow]:
    """Counts per village and kind, with a line per village (all kinds), per township and
    in total: four aggregate queries."""
    with big_queries():
        return _summary(qs.order_by())


def _summary(qs: QuerySet) -> list[SummaryRow]:
    village = Substr("area_code", 1, 12)
    township = Substr("area_code", 1, 9)
    by_kind = list(qs.annotate(v=village).values("v", "kind").annotate(**SUMMARY_COUNTS).order_by("v", "kind"))
    by_village = {r["v"]: r for r in qs.annotate(v=village).values("v").annotate(**SUMMARY_COUNTS)}
    by_township = {r["t"]: r for r in qs.annotate(t=township).values("t").annotate(**SUMMARY_COUNTS)}
    total = qs.aggregate(**SUMMARY_COUNTS)
    names = area_names(set(by_village) | {t.ljust(12, "0") for t in by_township})
    keys = list(SUMMARY_COUNTS)
    rows: list[SummaryRow] = []
    current_township = None
    current_village = None

    def close_village():
        if current_village is not None:
            r = by_village[current_village]
            rows.append(SummaryRow("village", "", names.get(current_village, current_village), "",
                                   {k: r[k] for k in keys}))

    def close_township():
        if current_township is not None:
            r = by_township[current_township]
            rows.append(SummaryRow("township", names.get(current_township.ljust(12, "0"), current_township), "",
                                   "", {k: r[k] for k in keys}))

    for r in by_kind:
        v = r["v"]
        if v != current_village:
            close_village()
            if v[:9] != current_township:
                close_township()
                current_township = v[:9]
            current_village = v
        rows.append(SummaryRow("kind", names.get(v[:9].ljust(12, "0"), v[:9]), names.get(v, v), r["kind"],
                               {k: r[k] for k in keys}))
    close_village()
    close_township()
    if total["total"]:
        rows.append(SummaryRow("total", "", "", "", {k: total[k] or 0 for k in keys}))
    return rows


def summary_headers() -> list[str]:
    return [_("Township"), _("Village"), _("Kind of data"), *summary_labels().values()]


def summary_table(rows: list[SummaryRow]) -> Iterator[list]:
    for r in rows:
        if r.level == "village":
            first = ["", _("%(village)s, all kinds") % {"village": r.village}, ""]
        elif r.level == "township":
            first = [_("%(township)s, total") % {"township": r.township}, "", ""]
        elif r.level == "total":
            first = [_("Total"), "", ""]
        else:
            first = [r.township, r.village, r.kind_label]
        yield [*first, *(r.counts[k] for k in SUMMARY_COUNTS)]


def write_form(target, form: str, qs: QuerySet) -> int:
    """Write one of the three forms to ``target`` (.xlsx); returns its row count."""
    count = [0]

    def counted(rows):
        for row in rows:
            count[0] += 1
            yield row

    if form == "check":
        write_xlsx(target, check_headers(), counted(check_rows(qs)), sheet_name="核查表")
    elif form == "opinions":
        write_xlsx(target, opinion_headers(), counted(opinion_rows(qs)), sheet_name="核查处理意见表")
    else:
        write_xlsx(target, summary_headers(), counted(summary_table(summary(qs))), sheet_name="核查情况统计表")
    return count[0]


# --- 两项制度衔接 --------------------------------------------------------------------------

LISTS = {
    "registry_only": gettext_lazy("Marked in the registry, missing from the 民政 list (people)"),
    "unmarked": gettext_lazy("On the 民政 list and registered, not marked in the registry (people)"),
    "unregistered": gettext_lazy("On the 民政 list, not in the registry (people)"),
    "households_registry_only": gettext_lazy("Marked in the registry, missing from the 民政 list (households)"),
    "households_list_only": gettext_lazy("On the 民政 list, not marked in the registry (households)"),
}


@dataclass
class Linkage:
    dataset: ExternalDataset
    kind: rules.Kind
    scope: Scope
    counts: dict
    rates: dict

    def members(self) -> QuerySet:
        return self.scope.filter(Member.objects.filter(active=True).exclude(household__status=REMOVED))

    def registry(self) -> QuerySet:
        """The registry's members marked 低保 (their own flag or their household's category)."""
        flag, cat = self.kind.linkage["member_flag"], self.kind.linkage["household_category"]
        return self.members().filter(Q(**{flag: True}) | Q(household__category=cat))

    def on_list(self) -> Exists:
        return Exists(Hit.objects.filter(dataset=self.dataset, member=OuterRef("pk")))

    def list_hits(self) -> QuerySet:
        return self.scope.filter(Hit.objects.filter(dataset=self.dataset))

    def households(self) -> QuerySet:
        return self.scope.filter(Household.objects.exclude(status=REMOVED))

    def registry_households(self) -> QuerySet:
        flag, cat = self.kind.linkage["member_flag"], self.kind.linkage["household_category"]
        flagged = Member.objects.filter(household=OuterRef("pk"), active=True, **{flag: True})
        return self.households().filter(Q(category=cat) | Exists(flagged))

    def household_on_list(self) -> Exists:
        return Exists(Hit.objects.filter(dataset=self.dataset, household=OuterRef("pk")))

    def list_rows(self, name: str) -> QuerySet:
        flag, cat = self.kind.linkage["member_flag"], self.kind.linkage["household_category"]
        if name == "registry_only":
            return self.registry().exclude(self.on_list()).select_related("household").order_by("area_code", "id")
        if name == "unmarked":
            return (self.list_hits().exclude(Q(**{"member__" + flag: True}) | Q(household__category=cat))
                    .select_related("member", "household", "record").order_by("area_code", "id"))
        if name == "unregistered":
            return records_in_scope(self.scope, self.dataset).filter(hit__isnull=True).order_by("area_code", "id")
        if name == "households_registry_only":
            return self.registry_households().exclude(self.household_on_list()).order_by("area_code", "id")
        if name == "households_list_only":
            flagged = Member.objects.filter(household=OuterRef("pk"), active=True, **{flag: True})
            return (self.households().filter(self.household_on_list()).exclude(category=cat)
                    .exclude(Exists(flagged)).order_by("area_code", "id"))
        raise ValueError(name)


def _count(link: Linkage) -> None:
    registry = link.registry()
    c = link.counts
    c["registry"] = registry.count()
    c["matched"] = registry.filter(link.on_list()).count()
    c["registry_only"] = c["registry"] - c["matched"]
    c["list"] = records_in_scope(link.scope, link.dataset).count()
    c["list_registered"] = link.list_hits().count()
    c["unmarked"] = link.list_rows("unmarked").count()
    c["unregistered"] = c["list"] - c["list_registered"]
    hh = link.registry_households()
    c["households_registry"] = hh.count()
    c["households_matched"] = hh.filter(link.household_on_list()).count()
    c["households_registry_only"] = c["households_registry"] - c["households_matched"]
    c["households_list_only"] = link.list_rows("households_list_only").count()


def linkage(scope: Scope, dataset: ExternalDataset) -> Linkage:
    """Compare a 民政 list (低保 or 特困) with the registry both ways, in the scope (inside
    the data set's area): people and households on both sides, on one side only, and
    the rates."""
    kind = rules.kind(dataset.kind)
    if not kind.linkage:
        raise ValueError(_("This kind of data set has no linkage with the registry."))
    scope = scope.narrow(rules.area_prefix(dataset.area_code))
    link = Linkage(dataset=dataset, kind=kind, scope=scope, counts={}, rates={})
    with big_queries():
        _count(link)
    c = link.counts
    link.rates = {
        # people marked on both sides ÷ people marked on either side (among registered people)
        "people": rules.rate(c["matched"], c["matched"] + c["registry_only"] + c["unmarked"]),
        "households": rules.rate(c["households_matched"], c["households_matched"] + c["households_registry_only"]
                                 + c["households_list_only"]),
        # the registry's marked people found on the list; the list's people found in the registry
        "registry_on_list": rules.rate(c["matched"], c["registry"]),
        "list_in_registry": rules.rate(c["list_registered"], c["list"]),
    }
    return link


def linkage_headers(name: str) -> list[str]:
    if name == "unregistered":
        return [_("No."), _("Name"), _("ID number"), _("Area code"), _("Date"), _("Amount (yuan)"), _("Row in the file")]
    if name.startswith("households"):
        return [_("No."), _("Township"), _("Village"), _("Household number"), _("Head of household"),
                _("Category"), _("Household size")]
    return [_("No."), _("Township"), _("Village"), _("Household number"), _("Name"), _("ID number"),
            _("Marked in the registry")]


LINKAGE_COLUMNS = {
    "unregistered": ("area_code", "name", "id_number", "event_date", "amount", "row_no"),
    "households_registry_only": ("area_code", "number", "head_name", "category", "size"),
    "households_list_only": ("area_code", "number", "head_name", "category", "size"),
    "unmarked": ("area_code", "household__number", "member__name", "member__id_number"),
    "registry_only": ("area_code", "household__number", "name", "id_number", "household__category"),
}


def linkage_rows(link: Linkage, name: str) -> Iterator[list]:
    """The rows of one list, streamed as plain values (lists may hold a million people)."""
    from fupin.registry import codes

    flag, category = link.kind.linkage["member_flag"], link.kind.linkage["household_category"]
    columns = LINKAGE_COLUMNS[name] + ((flag,) if name == "registry_only" else ())
    qs = link.list_rows(name).values_list(*columns)
    no, member_mark, household_mark = _("No"), _("member"), _("household category")
    n = 0
    for page in _pages(qs):
        names = area_names({r[0][:12] for r in page} | {r[0][:9].ljust(12, "0") for r in page})
        for r in page:
            n += 1
            if name == "unregistered":
                yield [n, r[1], r[2], r[0], _date(r[3]), _amount(r[4]), r[5]]
                continue
            place = [names.get(r[0][:9].ljust(12, "0"), ""), names.get(r[0][:12], "")]
            if name.startswith("households"):
                yield [n, *place, r[1], r[2], codes.label("category", r[3]), r[4]]
            elif name == "unmarked":
                yield [n, *place, r[1], r[2], r[3] or "", no]
            else:
                marks = [m for m, on in ((member_mark, r[5]), (household_mark, r[4] == category)) if on]
                yield [n, *place, r[1], r[2], r[3] or "", "、".join(marks)]


def write_linkage(target, link: Linkage) -> int:
    """The linkage report: the counts and rates, then one sheet per list."""
    labels = linkage_labels()
    summary_rows = [[labels[k], v] for k, v in link.counts.items()]
    summary_rows += [[rate_labels()[k], "" if v is None else f"{v}%"] for k, v in link.rates.items()]
    total = [0]

    def counted(rows):
        for row in rows:
            total[0] += 1
            yield row

    short = {"registry_only": _("People, registry only"), "unmarked": _("People, not marked"),
             "unregistered": _("People, not registered"), "households_registry_only": _("Households, registry only"),
             "households_list_only": _("Households, list only")}
    sheets = {short[name][:31]: (linkage_headers(name), counted(linkage_rows(link, name))) for name in LISTS}
    with big_queries():
        write_xlsx(target, [_("Item"), _("Value")], summary_rows, sheet_name=_("Summary"), extra_sheets=sheets)
    return total[0]


def linkage_labels() -> dict[str, str]:
    return {
        "registry": _("People marked in the registry"),
        "matched": _("… of whom on the 民政 list"),
        "registry_only": _("… of whom missing from the 民政 list"),
        "list": _("People on the 民政 list"),
        "list_registered": _("… of whom registered"),
        "unmarked": _("… of whom registered but not marked"),
        "unregistered": _("… of whom not in the registry"),
        "households_registry": _("Households marked in the registry"),
        "households_matched": _("… of which on the 民政 list"),
        "households_registry_only": _("… of which missing from the 民政 list"),
        "households_list_only": _("Registered households on the 民政 list, not marked"),
    }


def rate_labels() -> dict[str, str]:
    return {"people": _("Linkage rate (people)"), "households": _("Linkage rate (households)"),
            "registry_on_list": _("Marked people found on the 民政 list"),
            "list_in_registry": _("People of the 民政 list found in the registry")}
