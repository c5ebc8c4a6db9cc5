"""What a reply says: its text, its HTML part sanitised, its attachments; and images cleaned.

Pure functions over a parsed message (email.policy.default) or an uploaded file.
"""

import html
import io
import re
from dataclasses import dataclass, field
from email.message import Message
from email.utils import getaddresses

import nh3
from django.utils.text import get_valid_filename
from PIL import Image, UnidentifiedImageError

# What a published or moderated reply's HTML may keep: text structure, no links to follow
# blindly, no images (trackers), no styles, no scripts.
ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "blockquote", "div"}
MAX_TEXT = 100_000
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# "On 3 Nov 2026, IDEI <...> wrote:" and Outlook's separator start the quoted letter.
QUOTE_START = re.compile(
    r"^(?:-{2,}\s*(?:original message|mensaje original|message d'origine)\s*-{2,}|"
    r"on .{0,200} wrote:|le .{0,200} a écrit\s*:|el .{0,200} escribió:|from:\s.*)$",
    re.IGNORECASE,
)


@dataclass
class Attachment:
    name: str
    content_type: str
    data: bytes


@dataclass
class ReplyContent:
    subject: str = ""
    from_address: str = ""
    text: str = ""
    html: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    looks_like_mail: bool = True


def sanitise_html(markup: str) -> str:
    return nh3.clean(markup[: MAX_TEXT * 2], tags=ALLOWED_TAGS, attributes={}).strip()


def html_to_text(markup: str) -> str:
    spaced = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>", "\n", markup[: MAX_TEXT * 2])
    return html.unescape(nh3.clean(spaced, tags=set())).strip()


def without_quote(text: str) -> str:
    """The reply without the quoted letter below it: what a moderator publishes by default."""
    kept = []
    for line in text.splitlines():
        if QUOTE_START.match(line.strip()):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


def _part_text(part: Message) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError, AssertionError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def read_reply(message: Message) -> ReplyContent:
    """Subject, sender, text, sanitised HTML and attachments of a received reply."""
    content = ReplyContent()
    # A blob without headers is not mail: it is held for an admin, never a response.
    content.looks_like_mail = bool(message.keys()) and bool(message.get("From"))
    try:
        content.subject = " ".join(str(message.get("Subject", "")).split())[:300]
        senders = getaddresses([str(value) for value in message.get_all("From", [])])
    except (ValueError, TypeError, IndexError):  # a header too broken to read
        senders = []
    content.from_address = next((address for _name, address in senders if address), "")[:320]
    plain = html_part = None
    try:
        plain = message.get_body(preferencelist=("plain",))
        html_part = message.get_body(preferencelist=("html",))
    except (KeyError, ValueError, AttributeError):
        pass
    if html_part is not None:
        content.html = sanitise_html(_part_text(html_part))
    if plain is not None:
        content.text = _part_text(plain).strip()
    elif html_part is not None:
        content.text = html_to_text(_part_text(html_part))
    elif not message.is_multipart():
        content.text = _part_text(message).strip()
    content.text = content.text[:MAX_TEXT]
    try:
        parts = list(message.iter_attachments()) if message.is_multipart() else []
    except (KeyError, ValueError, AttributeError):
        parts = []
    for part in parts[:MAX_ATTACHMENTS]:
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes) or not data or len(data) > MAX_ATTACHMENT_BYTES:
            continue
        name = get_valid_filename(part.get_filename() or "attachment")[:200] or "attachment"
        content.attachments.append(Attachment(name, part.get_content_type()[:100], data))
    return content


def same_address(one: str, other: str) -> bool:
    return bool(one) and one.strip().lower() == (other or "").strip().lower()


# -- Uploaded scans -------------------------------------------------------------------------

PDF_MAGIC = b"%PDF-"
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_IMAGE_PIXELS = 40_000_000


class UnsupportedFile(ValueError):
    pass


def clean_scan(data: bytes) -> tuple[bytes, str, str]:
    """A PDF as it is, or an image saved again without its metadata (EXIF, GPS, comments).

    Returns (bytes, content type, extension); UnsupportedFile for anything else.
    """
    if data.startswith(PDF_MAGIC):
        return data, "application/pdf", "pdf"
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in IMAGE_FORMATS:
                raise UnsupportedFile(image.format)
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise UnsupportedFile("too many pixels")
            image.load()
            image_format = image.format
            # Only the pixels are copied: no EXIF, GPS, XMP, ICC nor text chunks.
            clean = Image.frombytes(image.mode, image.size, image.tobytes())
            if image.mode == "P":
                clean.putpalette(image.getpalette())
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise UnsupportedFile(str(error)) from error
    out = io.BytesIO()
    clean.save(out, format=image_format)
    return out.getvalue(), IMAGE_FORMATS[image_format], image_format.lower().replace("jpeg", "jpg")
