"""Who is acting, and from where. Every action takes an Actor first."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Actor:
    user: object | None  # accounts.User, or None for the system itself
    ip: str | None = None
    channel: str = "web"  # web | api | cli | job | system
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_request(cls, request, channel: str = "web") -> Actor:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        ip = forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR")
        return cls(user=request.user if request.user.is_authenticated else None, ip=ip, channel=channel)

    @classmethod
    def system(cls, channel: str = "cli") -> Actor:
        return cls(user=None, ip=None, channel=channel)

    @property
    def is_system(self) -> bool:
        """The operator's command line or a job: not subject to role checks.
        An anonymous web or API request is never the system."""
        return self.user is None and self.channel in {"cli", "system", "job"}

    @property
    def label(self) -> str:
        if self.user is None:
            return str(_("system"))
        return self.user.get_username()
