"""Tokens in e-mailed links: one helper for every double opt-in and every link.

Two kinds, for two needs:
- `new_token()`: a random token for a single-use link (confirming a signature or a
  subscription). Only its hash is stored, so a database leak reveals no working link; a newer
  link replaces the older by replacing the hash.
- `make()` / `read()`: a signed, stateless value for a link that may be used again until it
  expires (a letter's PDF, unsubscribe, erasure). Each purpose has its own salt, so a token
  made for one purpose is refused by every other.
"""

import hashlib
import secrets
from datetime import timedelta

from django.core import signing


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A random single-use token and the hash to store in its place."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def make(purpose: str, value) -> str:
    """A signed token carrying `value` (JSON) for this purpose."""
    # Not compressed: the format of links already in people's inboxes must not change.
    return signing.dumps(value, salt=purpose)


def read(purpose: str, token: str, max_age: timedelta | None = None):
    """The value of a token made for this purpose; None if forged, for another purpose or old."""
    try:
        return signing.loads(token, salt=purpose, max_age=max_age)
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        return None
