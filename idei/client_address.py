"""Who is asking: the client's address as our own reverse proxies report it, and its network.

TRUSTED_PROXY_COUNT (settings, README) says how many proxies of ours append to X-Forwarded-For;
the sign form's rate limits (letters/signing/abuse.py) read the address the same way. The
sign-in lockout (django-axes) and the password-reset limits count per network, so that one
IPv6 client cannot dodge them by walking through the 2^64 addresses of its own /64.
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """REMOTE_ADDR, or the X-Forwarded-For entry that our TRUSTED_PROXY_COUNT proxies vouch for.

    Each proxy of ours appends the address it saw, so the client is the n-th entry from the
    right; anything further left was written by the client and is never trusted.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted > 0:
        hops = [
            hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop
        ]
        if len(hops) >= trusted:
            try:
                return str(ipaddress.ip_address(hops[-trusted]))
            except ValueError:
                pass
    return remote


def client_network(request) -> str:
    """The client's network as one address: an IPv4 address, or the first address of an IPv6 /64.

    Written as an address (not "2001:db8::/64") so that it fits django-axes' address column.
    """
    try:
        return network_of(client_ip(request))
    except ValueError:
        return "0.0.0.0"  # noqa: S104 - no usable address: all such requests count together


def network_of(address: str) -> str:
    """The network an address belongs to, written as client_network writes it (ValueError if
    it is no address)."""
    ip = ipaddress.ip_address(address.strip())
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False).network_address)
    return str(ip)
