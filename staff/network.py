"""Where a request comes from, and whether that place may reach the staff pages.

One implementation of "the client's address" for the allow-list, django-axes (lockout is
per username *and* client) and the audit trail, so that the three never disagree.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings

from audit.services import client_ip as audit_client_ip

STAFF_PATH_PREFIXES = ("/staff/", "/admin/")


def is_staff_path(path: str) -> bool:
    """True for /staff/… and /admin/… (and the bare /staff and /admin)."""
    return path.startswith(STAFF_PATH_PREFIXES) or path in ("/staff", "/admin")


def client_ip(request) -> str | None:
    """The client's address (see audit.services.client_ip), or None when it is unknown.

    The audit trail's implementation is the one implementation: the allow-list, django-axes
    (AXES_CLIENT_IP_CALLABLE) and the audit records therefore always agree on who it was.
    REMOTE_ADDR, or the N-th X-Forwarded-For entry from the right behind TRUSTED_PROXY_COUNT
    = N proxies; never a header the client could have written itself.
    """
    return audit_client_ip(request) or None


def address_allowed(address: str | None) -> bool:
    """Whether `address` may reach /staff/ and /admin/. No allow-list configured = anywhere."""
    networks = settings.STAFF_ALLOWED_NETWORKS
    if not networks:
        return True
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    # An IPv4 client seen through an IPv6 socket arrives as ::ffff:a.b.c.d.
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in networks)
