"""Addresses of ours that an app answers for: `<prefix>+<token>@INBOUND_EMAIL_DOMAIN`.

The bounce route (`bounce+<token>@`, the outbox's return paths) is the platform's own; an app
adds another in its AppConfig.ready() (letters: `reply+<token>@`, officials' replies), the way
apps name their message kinds to the outbox. The inbound code never imports the apps.

- `accepts(token)`: whether the token's signature is good, with no database (RCPT time);
- `handle(message, email_message, auto_reply)`: act on a stored message that is not a
  delivery report or complaint (those always go the bounce way), inside the processing
  transaction; returns an InboundMessage.Outcome value.
"""

from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message


@dataclass(frozen=True)
class Route:
    prefix: str
    accepts: Callable[[str], bool]
    handle: Callable[..., str]


ROUTES: dict[str, Route] = {}


def register(prefix: str, *, accepts: Callable[[str], bool], handle: Callable[..., str]) -> None:
    ROUTES[prefix.lower()] = Route(prefix.lower(), accepts, handle)


def split(address: str) -> tuple[str, str, str]:
    """(prefix, token, domain) of `prefix+token@domain`, lower-case prefix and domain."""
    local, _, domain = address.strip().strip("<>").rpartition("@")
    prefix, _, token = local.partition("+")
    return prefix.lower(), token, domain.lower().rstrip(".")


def route_for(address: str, domain: str) -> tuple[Route, str] | None:
    """The route and token of one of our routed addresses; None otherwise."""
    prefix, token, address_domain = split(address)
    route = ROUTES.get(prefix)
    if route is None or not token or address_domain != domain:
        return None
    return route, token


def handled_by_route(message, email_message: Message, *, auto_reply: bool, domain: str):
    """The outcome of the first routed recipient whose token is good; None if there is none."""
    for address in message.envelope_to:
        found = route_for(address, domain)
        if found and found[0].accepts(found[1]):
            route, token = found
            return route.handle(message, email_message, token=token, auto_reply=auto_reply)
    return None
