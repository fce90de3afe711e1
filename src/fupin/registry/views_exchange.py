"""The exchange page: the template, importing a file (a job with a progress bar) and
exporting an area (a job producing a file flagged as personal data); the same for the income
ledger (income_exchange.py)."""

from __future__ import annotations

import io
from functools import wraps

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fupin.accounts.scoping import can, scope_for
from fupin.areas import rules as area_rules
from fupin.areas.models import Area
from fupin.core.actor import Actor
from fupin.core.errors import Forbidden
from fupin.core.forms import Form, UploadForm
from fupin.core.uploads import save_upload, sent_name
from fupin.jobs import actions as jobs
from fupin.jobs.queries import visible_jobs

from . import exporters, income_exchange
from .exchange import date_help
from .forms import work_year_field

IMPORT_KIND, EXPORT_KIND = "registry.import", "registry.export"
AREA_CHOICES_LIMIT = 3000


def require_exchange(view):
    """The page needs registry.import or registry.export somewhere."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not (can(request.user, "registry.import") or can(request.user, "registry.export")):
            raise Forbidden()
        return view(request, *args, **kwargs)

    wrapped.required_perm = "registry.import"
    return wrapped


class _CheckableUploadForm(UploadForm):
    """An import's upload (the registry's, the income ledger's): the file, and whether only to check it."""
    dry_run = forms.BooleanField(label=gettext_lazy("Only check the file (write nothing)"), required=False)


class ImportForm(_CheckableUploadForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("Date columns: %(dates)s.") % {"dates": date_help()}


class ExportForm(Form):
    area = forms.ChoiceField(label=gettext_lazy("Area"))
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=[("xlsx", "Excel (.xlsx)"), ("csv", "CSV")])

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [(a.code, f"{a.code} {a.name}") for a in areas]


def export_areas(user):
    """Areas the user may export: those of the scope down to townships (and villages when
    the scope is a township or smaller)."""
    scope = scope_for(user, "registry.export")
    if scope.is_empty:
        return []
    levels = [area_rules.PROVINCE, area_rules.CITY, area_rules.COUNTY, area_rules.TOWNSHIP]
    if all(len(p) >= area_rules.PREFIX_LENGTH[area_rules.TOWNSHIP] for p in scope.prefixes):
        levels.append(area_rules.VILLAGE)
    qs = Area.objects.filter(valid_to__isnull=True, level__in=levels).order_by("code")
    return list(scope.filter(qs, "code")[:AREA_CHOICES_LIMIT])


def _page(request, import_form=None, export_form=None, status=200, income_import_form=None, income_export_form=None):
    areas = export_areas(request.user)
    recent = (visible_jobs(request.user).filter(kind__in=[IMPORT_KIND, EXPORT_KIND])
              .select_related("created_by").order_by("-created_at")[:20])
    return render(request, "registry/exchange.html", {
        "import_form": import_form or ImportForm(),
        "export_form": export_form or ExportForm(areas=areas),
        "income_import_form": income_import_form or IncomeImportForm(prefix=INCOME_PREFIX),
        "income_export_form": income_export_form or IncomeExportForm(areas=areas, prefix=INCOME_PREFIX),
        "can_import": can(request.user, "registry.import"),
        "can_export": can(request.user, "registry.export") and bool(areas),
        "jobs": recent,
    }, status=status)


@require_exchange
def exchange(request):
    return _page(request)


def _template(write, filename: str) -> HttpResponse:
    """An empty template (``write(target)``) sent as the .xlsx file ``filename``."""
    buffer = io.BytesIO()
    write(buffer)
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_exchange
def exchange_template(request):
    return _template(exporters.write_template, "registry-template.xlsx")


def _import_area(user) -> str:
    """The area a user's import job is filed under (so the area's officers see it)."""
    scope = scope_for(user, "registry.import")
    prefix = scope.prefixes[0] if scope.prefixes else ""
    return prefix.ljust(12, "0") if prefix else ""


def _start_import(request, form_class, form_name: str, kind: str, task, *, check: str, run: str, prefix=None):
    """An import form posted (``form_class``; ``form_name``: its name on the page, where its errors
    are shown): the upload saved and its job started (a dry run when the form says so), titled
    ``check`` or ``run`` with the name the file was sent with. Needs registry.import somewhere."""
    if not can(request.user, "registry.import"):
        raise Forbidden()
    form = form_class(request.POST, request.FILES, prefix=prefix)
    if not form.is_valid():
        return _page(request, status=400, **{form_name: form})
    upload = form.cleaned_data["file"]
    path = save_upload(upload, kind)
    dry_run = form.cleaned_data["dry_run"]
    name = sent_name(upload.name) or path.name
    job = jobs.start(Actor.from_request(request), task, kind=IMPORT_KIND,
                     title=(check if dry_run else run) % {"name": name}, area_code=_import_area(request.user),
                     params={"path": str(path), "name": name, "dry_run": dry_run})
    return redirect("jobs:detail", pk=job.pk)


def _start_export(request, form_class, form_name: str, task, title, *, prefix=None):
    """An export form posted (``form_class``; ``form_name``: its name on the page, where its errors
    are shown): its job started for the area it names, among the user's export areas (404 outside;
    403 for a user who may export nowhere), titled ``title(area, cleaned_data)``, with the form's
    other values as the job's params."""
    scope = scope_for(request.user, "registry.export")
    if scope.is_empty:
        raise Forbidden()
    code = request.POST.get(f"{prefix}-area" if prefix else "area", "").strip()
    area = scope.get(Area.objects.filter(valid_to__isnull=True).exclude(level=area_rules.GROUP), "code", code=code)
    form = form_class(request.POST, areas=[area], prefix=prefix)
    if not form.is_valid():
        return _page(request, status=400, **{form_name: form})
    data = form.cleaned_data
    job = jobs.start(Actor.from_request(request), task, kind=EXPORT_KIND, title=title(area, data), area_code=area.code,
                     params={"area_code": area.code, **{name: data[name] for name in form.fields if name != "area"}})
    return redirect("jobs:detail", pk=job.pk)


@require_POST
@require_exchange
def exchange_import(request):
    from .tasks import import_registry_task

    return _start_import(request, ImportForm, "import_form", "registry", import_registry_task,
                         check=_("Check %(name)s"), run=_("Import %(name)s"))


@require_POST
@require_exchange
def exchange_export(request):
    from .tasks import export_registry_task

    return _start_export(request, ExportForm, "export_form", export_registry_task,
                         lambda area, data: _("Export the registry of %(area)s") % {"area": area.name})


# --- the income ledger (经济收入一本账, income_exchange.py): the same jobs, kinds and permissions ------

INCOME_PREFIX = "income"  # (its forms share the page with the registry's)


class IncomeImportForm(_CheckableUploadForm):
    pass


class IncomeExportForm(ExportForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        year = work_year_field(gettext_lazy("Year"), required=False)
        year.help_text = _("Leave empty for every year.")
        self.fields["year"] = year
        self.fields["year"].widget.attrs["class"] = "form-control"
        self.order_fields(["area", "year", "format"])


@require_exchange
def exchange_income_template(request):
    return _template(income_exchange.write_template, "income-template.xlsx")


@require_POST
@require_exchange
def exchange_income_import(request):
    from .tasks import import_income_task

    return _start_import(request, IncomeImportForm, "income_import_form", "income", import_income_task,
                         check=_("Check the income ledgers in %(name)s"),
                         run=_("Import the income ledgers in %(name)s"), prefix=INCOME_PREFIX)


@require_POST
@require_exchange
def exchange_income_export(request):
    from .tasks import export_income_task

    def title(area, data):
        if data["year"]:
            return _("Export the income ledgers of %(area)s, %(year)s") % {"area": area.name, "year": data["year"]}
        return _("Export the income ledgers of %(area)s") % {"area": area.name}

    return _start_export(request, IncomeExportForm, "income_export_form", export_income_task, title,
                         prefix=INCOME_PREFIX)
