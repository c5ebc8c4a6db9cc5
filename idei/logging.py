"""Log lines: JSON, one per event, and never a person's e-mail address or IP address.

Signers may live under the governments their letters accuse, and logs are copied to places a
database erasure never reaches. So every line passes through RedactPersonalData on its way to a
handler: e-mail addresses and IP addresses, in the message, in extra={...} values and in
tracebacks, are replaced by a keyed hash ("email#3f9a0c1b2d4e", "ip#..."), the same for the same
value, so that lines about one client can still be joined, and useless without SECRET_KEY.
"""

import ipaddress
import json
import logging
import re
from datetime import UTC, datetime

from django.utils.crypto import salted_hmac

# Attributes every LogRecord has; anything else was passed with extra={...} and is kept.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*", re.UNICODE)
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
# Loose on purpose (candidates are checked by ipaddress): at least two colons, hex groups.
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
# Extra fields that hold an address whatever they look like.
_IP_FIELDS = {"client_ip", "ip", "remote_addr", "ip_address"}
_EMAIL_FIELDS = {"email", "to", "to_email", "address", "email_key"}


def keyed_hash(kind: str, value: str) -> str:
    """A short keyed hash of a personal value: joins log lines, names nobody."""
    digest = salted_hmac("idei.logging." + kind, value.strip().lower()).hexdigest()[:12]
    return f"{kind}#{digest}"


def _ip_hash(match: re.Match) -> str:
    try:
        ipaddress.ip_address(match.group(0))
    except ValueError:
        return match.group(0)  # a version number, a time of day: not an address
    return keyed_hash("ip", match.group(0))


def redact(text: str) -> str:
    """The text with every e-mail and IP address replaced by its keyed hash."""
    if "@" in text:
        text = _EMAIL.sub(lambda match: keyed_hash("email", match.group(0)), text)
    if "." in text:
        text = _IPV4.sub(_ip_hash, text)
    if ":" in text:
        text = _IPV6.sub(_ip_hash, text)
    return text


def _redact_value(key: str, value):
    if isinstance(value, str) and value:
        if key in _IP_FIELDS:
            return keyed_hash("ip", value)
        if key in _EMAIL_FIELDS:
            return keyed_hash("email", value)
        return redact(value)
    return value


class RedactPersonalData(logging.Filter):
    """Replaces e-mail and IP addresses in a record by keyed hashes (see the module's doc)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: let the handler report it as usual
            return True
        record.msg, record.args = redact(message), ()
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and not key.startswith("_"):
                setattr(record, key, _redact_value(key, value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        record._redacted = True
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                event[key] = value
        if record.exc_text:
            event["exception"] = record.exc_text
        elif record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        return json.dumps(event, default=str, ensure_ascii=False)
