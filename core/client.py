"""Where a request comes from: the one implementation of "the client's address".

The staff allow-list, django-axes (lockout is per username *and* client;
AXES_CLIENT_IP_CALLABLE = "core.client.client_ip"), the audit trail and the look-up rate
limits all call client_ip(), so that they never disagree on who it was.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from django.utils.ipv6 import clean_ipv6_address


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or X-Forwarded-For behind trusted proxies.

    With TRUSTED_PROXY_COUNT = n, each of the n proxies in front of the app appends the
    address it received the request from, so the client is the n-th entry from the right;
    anything further left was written by the client and is not trusted. A missing or
    malformed header falls back to REMOTE_ADDR. Returns None when nothing valid is known
    (callers that store or count the address pick their own stand-in for that).
    """
    candidate = str(request.META.get("REMOTE_ADDR", ""))
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [
            part.strip()
            for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies and _valid_ip(forwarded[-proxies]):
            candidate = forwarded[-proxies]
    return _valid_ip(candidate)


def _valid_ip(value: str) -> str | None:
    """`value` as a canonical address (IPv6 compressed and lower-case), or None."""
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if address.version == 6:
        return clean_ipv6_address(str(address))
    return str(address)
