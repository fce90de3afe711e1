"""Who is acting, and from where. Every action takes an Actor first."""

from __future__ import annotations

import ipaddress
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
        return cls(user=request.user if request.user.is_authenticated else None, ip=client_ip(request),
                   channel=channel)

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


def _ip(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The caller's address for the audit log. X-Forwarded-For is believed only when
    the request comes from a reverse proxy on this machine (loopback), and then only
    its last entry, the one that proxy added: the entries before it are whatever the
    client sent. Anything that is not an IP address is dropped (never stored)."""
    remote = _ip(request.META.get("REMOTE_ADDR"))
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and remote is not None and remote.is_loopback:
        return str(ip) if (ip := _ip(forwarded.split(",")[-1])) is not None else str(remote)
    return str(remote) if remote is not None else None
