"""The REST API at /api/v1/: one router per app, all behind bearer tokens."""

from ninja import NinjaAPI

from .base import TokenAuth, install_error_handlers
from .renderers import LocalTimeRenderer

api = NinjaAPI(
    title="fupin API",
    version="1",
    description="精准扶贫与防止返贫动态监测信息系统 REST API. Every route is scoped to the token owner's area.",
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url="/docs",
    renderer=LocalTimeRenderer(),  # date-times in local time, with the offset (see renderers.py)
)
install_error_handlers(api)

from fupin.accounts.api import router as accounts_router  # noqa: E402
from fupin.areas.api import router as areas_router  # noqa: E402
from fupin.audit.api import router as audit_router  # noqa: E402
from fupin.jobs.api import router as jobs_router  # noqa: E402

api.add_router("/", accounts_router)
api.add_router("/areas", areas_router)
api.add_router("/audit", audit_router)
api.add_router("/jobs", jobs_router)
api.add_router("/procedures", "fupin.procedures.api.router")
api.add_router("/identification", "fupin.identification.api.router")
api.add_router("/comparison", "fupin.comparison.api.router")
api.add_router("/", "fupin.registry.api.router")
api.add_router("/", "fupin.assistance.api.router")
api.add_router("/exits", "fupin.exits.api.router")
api.add_router("/delisting", "fupin.delisting.api.router")
api.add_router("/monitoring", "fupin.monitoring.api.router")
api.add_router("/dynamics", "fupin.dynamics.api.router")
