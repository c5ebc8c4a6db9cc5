"""Mail that servers send back to us, built as they build it: DSNs, ARF reports, auto-replies."""

from email.message import EmailMessage
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.parser import Parser


def original(return_path: str, to: str) -> EmailMessage:
    message = EmailMessage()
    message["Return-Path"] = f"<{return_path}>"
    message["From"] = "IDEI <no-reply@idei.example.org>"
    message["To"] = to
    message["Subject"] = "Please sign"
    message.set_content("Confirm your signature.\n")
    return message


def _report(report_type: str, human: str, fields: str, returned: EmailMessage) -> bytes:
    report = MIMEMultipart("report", report_type=report_type)
    report["From"] = "MAILER-DAEMON@mx.example.net"
    report["Subject"] = "Report"
    report.attach(MIMEText(human))
    machine = (
        "message/delivery-status"
        if report_type == "delivery-status"
        else ("message/feedback-report")
    )
    subtype = machine.split("/")[1]
    blocks = [Parser().parsestr(block.strip() + "\n") for block in fields.split("\n\n")]
    status = MIMEMessage(blocks[0], subtype)
    if subtype == "delivery-status":
        status.set_payload(blocks)
    report.attach(status)
    report.attach(MIMEMessage(returned))
    return report.as_bytes()


def dsn(recipient: str, return_path: str, *, action="failed", status="5.1.1") -> bytes:
    """A delivery status notification (RFC 3464) about one recipient."""
    fields = (
        "Reporting-MTA: dns; mx.example.net\n\n"
        f"Final-Recipient: rfc822; {recipient}\n"
        f"Action: {action}\n"
        f"Status: {status}\n"
        f"Diagnostic-Code: smtp; 550 {status} <{recipient}>: Recipient address rejected"
    )
    return _report(
        "delivery-status",
        "Your message could not be delivered.",
        fields,
        original(return_path, recipient),
    )


def arf(recipient: str, return_path: str) -> bytes:
    """A complaint (RFC 5965): the recipient pressed "this is spam"."""
    fields = (
        "Feedback-Type: abuse\nUser-Agent: ExampleFBL/1.0\nVersion: 1\n"
        f"Original-Mail-From: <{return_path}>\nOriginal-Rcpt-To: <{recipient}>"
    )
    return _report(
        "feedback-report",
        "This is an abuse report for a message received from you.",
        fields,
        original(return_path, recipient),
    )


def vacation_reply(sender: str) -> bytes:
    """An out-of-office answer (RFC 3834), sent to our return path."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "no-reply@idei.example.org"
    message["Subject"] = "Out of office: Please sign"
    message["Auto-Submitted"] = "auto-replied"
    message.set_content("I am away until Monday.\n")
    return message.as_bytes()
