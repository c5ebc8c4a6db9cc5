"""What a received e-mail is: a delivery status notification, a complaint, an auto-reply.

Pure functions over the raw bytes; services.py acts on the result. Standards read:
RFC 3464 (multipart/report; report-type=delivery-status), RFC 5965 (report-type=
feedback-report, the ARF) and RFC 3834 (Auto-Submitted).
"""

import contextlib
import email
import email.policy
import re
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message

BOUNCE = "bounce"
DELAY = "delay"
COMPLAINT = "complaint"
AUTO_REPLY = "auto_reply"
OTHER = "other"

# Headers that vacation programs and mailing-list software set instead of Auto-Submitted.
AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")
AUTO_REPLY_PRECEDENCE = {"auto_reply", "bulk", "junk", "list"}
ANGLE_ADDRESS = re.compile(r"<([^<>\s]+@[^<>\s]+)>")
# Subjects of vacation and out-of-office notices that set none of the headers above (some
# webmail and Exchange servers), in the languages of the officials we write to.
AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(?:auto(?:matic)?[ -]?(?:reply|response)|auto:|out of (?:the )?office|"
    r"away from (?:the )?office|on vacation|on holiday|absence|abwesenheit|"
    r"automatische antwort|r[ée]ponse automatique|absent|respuesta autom[áa]tica|"
    r"fuera de la oficina|fora do escrit[óo]rio|resposta autom[áa]tica|"
    r"автоответ|автоматический ответ|自动回复|自動回覆|رد تلقائي|الرد التلقائي)",
    re.IGNORECASE,
)


@dataclass
class Report:
    kind: str
    # Addresses that may be one of our return paths (bounce+<token>@...), best first.
    return_paths: list[str] = field(default_factory=list)
    # What the remote server said (Status and Diagnostic-Code of a DSN), for the record.
    detail: str = ""


def read(raw: bytes, envelope_to: list[str]) -> Report:
    # compat32: lenient with the broken headers that real bounces often carry.
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    return_paths = list(envelope_to)
    report_type = ""
    if message.get_content_type() == "multipart/report":
        report_type = str(message.get_param("report-type") or "").lower()
    if report_type == "delivery-status":
        kind, detail = _delivery_status(message)
        return Report(kind, return_paths + _original_return_paths(message), detail)
    if report_type == "feedback-report":
        report = _first_part(message, "message/feedback-report")
        fields = _blocks(report)
        from_report = [b.get("Original-Mail-From", "") for b in fields]
        feedback_type = next((b["Feedback-Type"] for b in fields if b["Feedback-Type"]), "")
        addresses = return_paths + _addresses(from_report) + _original_return_paths(message)
        return Report(COMPLAINT, addresses, f"Feedback-Type: {feedback_type}"[:300])
    if is_auto_reply(message):
        return Report(AUTO_REPLY, return_paths)
    return Report(OTHER, return_paths)


def parse(raw: bytes) -> Message:
    """A received message for reading its content (headers decoded, parts walked)."""
    return email.message_from_bytes(raw, policy=email.policy.default)


def is_auto_reply(message: Message) -> bool:
    auto_submitted = str(message.get("Auto-Submitted", "no")).split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if any(message.get(name) for name in AUTO_REPLY_HEADERS):
        return True
    if str(message.get("Precedence", "")).strip().lower() in AUTO_REPLY_PRECEDENCE:
        return True
    subject = str(message.get("Subject", ""))
    # compat32 leaves RFC 2047 encoded words as they came.
    with contextlib.suppress(ValueError, LookupError, UnicodeError):
        subject = str(make_header(decode_header(subject)))
    return bool(AUTO_REPLY_SUBJECT.match(" ".join(subject.split())))


def _delivery_status(message: Message) -> tuple[str, str]:
    """BOUNCE if a recipient failed permanently (Action: failed, Status 5.x.x), else DELAY or
    OTHER (delivered, relayed, expanded)."""
    status_part = _first_part(message, "message/delivery-status")
    kind, detail = OTHER, ""
    for block in _blocks(status_part):
        action = str(block.get("Action", "")).strip().lower()
        status = str(block.get("Status", "")).strip()
        said = " ".join(str(block.get("Diagnostic-Code", "")).split())
        if action == "failed" and not status.startswith("4"):
            return BOUNCE, f"{status} {said}".strip()[:300]
        if action in {"delayed", "failed"}:
            kind, detail = DELAY, f"{status} {said}".strip()[:300]
    return kind, detail


def _first_part(message: Message, content_type: str) -> Message | None:
    return next((part for part in message.walk() if part.get_content_type() == content_type), None)


def _blocks(part: Message | None) -> list[Message]:
    """The header blocks of a message/delivery-status or message/feedback-report part."""
    if part is None:
        return []
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    if isinstance(payload, str):  # an unparsed body: read its header blocks ourselves
        return [email.message_from_string(chunk) for chunk in re.split(r"\r?\n\r?\n", payload)]
    return []


def _original_return_paths(message: Message) -> list[str]:
    """Return-Path of the returned original (message/rfc822 or text/rfc822-headers)."""
    found = []
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            for original in part.get_payload() or []:
                if isinstance(original, Message):
                    found.append(str(original.get("Return-Path", "")))
        elif content_type == "text/rfc822-headers":
            headers = email.message_from_string(str(part.get_payload(decode=False) or ""))
            found.append(str(headers.get("Return-Path", "")))
    return _addresses(found)


def _addresses(values: list[str]) -> list[str]:
    addresses = []
    for value in values:
        value = value.strip()
        matches = ANGLE_ADDRESS.findall(value)
        addresses.extend(matches or ([value] if "@" in value else []))
    return addresses
