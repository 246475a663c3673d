"""Who did an audited action, from where: built once at the edge, passed down to services.

Views, the phone desk and the admin turn the request into an AuditContext; services take
it (never the request) and write the audit record inside their own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from core.client import client_ip

USER_AGENT_MAX = 300  # AuditEvent.user_agent max_length


@dataclass(frozen=True)
class AuditContext:
    """The actor (a staff user, or None for residents and the system), address, browser."""

    actor: Any = None
    ip: str = ""
    user_agent: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest, *, actor: Any = None) -> AuditContext:
        """The context of `request`: its logged-in user (unless `actor` is given), the
        client address (behind trusted proxies, see core.client.client_ip; "" when
        unknown) and a printable, bounded user agent."""
        if actor is None:
            user = getattr(request, "user", None)
            actor = user if getattr(user, "is_authenticated", False) else None
        raw = str(request.META.get("HTTP_USER_AGENT", ""))
        # Printable characters only: no NULs (PostgreSQL refuses them in text) or newlines.
        agent = "".join(ch for ch in raw if ch.isprintable())[:USER_AGENT_MAX]
        return cls(actor=actor, ip=client_ip(request) or "", user_agent=agent)

    @classmethod
    def system(cls) -> AuditContext:
        """An action by nobody logged in: a nightly job, a resident's own change."""
        return cls()
