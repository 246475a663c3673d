"""Whether a request's address may reach the staff pages.

The address itself is core.client.client_ip, the one the audit trail and django-axes use.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings

STAFF_PATH_PREFIXES = ("/staff/", "/admin/")


def is_staff_path(path: str) -> bool:
    """True for /staff/… and /admin/… (and the bare /staff and /admin)."""
    return path.startswith(STAFF_PATH_PREFIXES) or path in ("/staff", "/admin")


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
