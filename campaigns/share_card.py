"""A campaign's share image (Open Graph and Twitter cards): title, count and organisation.

Drawn on the server with Pillow and its Raqm layout (HarfBuzz shaping and FriBiDi ordering),
so that Arabic letters join and run right to left and CJK titles wrap by character, with the
Noto fonts the PDFs use. It is drawn in the campaign's language (Campaign.language), or in one
its coordinators translated the title into (CampaignTranslation): the page of a reader of that
language points to that card. The count on the card moves by steps (two significant figures):
the image is drawn again, and its address changes, only when the count reaches the next step,
not with every signature. Kept in the cache.
"""

import functools
import hashlib
import io
import logging
import subprocess
import textwrap
import unicodedata

from django.core.cache import cache
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, ImageDraw, ImageFont, features

logger = logging.getLogger(__name__)

WIDTH, HEIGHT = 1200, 630
MARGIN = 72
BACKGROUND = "#fbf7f4"
TEXT = "#1d1d1f"
ACCENT = "#8f1d2c"  # the site's accent (static/css/idei.css)
MUTED = "#4a4a4f"
CARD_SECONDS = 7 * 24 * 3600

# fontconfig families per script; Debian's fonts-noto-core and fonts-noto-cjk install them.
FAMILIES = {
    "arabic": "Noto Naskh Arabic",
    "cjk": "Noto Sans CJK SC",
    "default": "Noto Sans",
}


def raqm_available() -> bool:
    """Pillow's complex text layout (libraqm); without it Arabic would come out unjoined."""
    return features.check("raqm")


def script_of(text: str) -> str:
    """Which font family the text needs: Arabic, CJK, or the default (Latin, Cyrillic...)."""
    for char in text:
        name = unicodedata.name(char, "")
        if name.startswith("ARABIC"):
            return "arabic"
        if name.startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL")):
            return "cjk"
    return "default"


@functools.cache
def font_file(script: str, bold: bool) -> tuple[str, int]:
    """The font file (and face index in a collection) fontconfig gives for the script."""
    pattern = FAMILIES[script] + (":bold" if bold else "")
    # A fixed family name from FAMILIES, never user input; fc-match as Debian installs it.
    found = subprocess.run(  # noqa: S603
        ["fc-match", "-f", "%{file}|%{index}", pattern],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    ).stdout
    path, _sep, index = found.partition("|")
    return path, int(index or 0)


def font(text: str, size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    path, index = font_file(script_of(text), bold)
    engine = ImageFont.Layout.RAQM if raqm_available() else ImageFont.Layout.BASIC
    return ImageFont.truetype(path, size, index=index, layout_engine=engine)


def count_step(count: int) -> int:
    """The count as the card shows it: rounded down to two significant figures."""
    if count < 100:
        return count
    step = 10 ** (len(str(count)) - 2)
    return count - count % step


def wrap(text: str, face, width: int, max_lines: int, language: str) -> list[str]:
    """Lines that fit `width`, by words (by characters for CJK), at most `max_lines`."""
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))

    def fits(line: str) -> bool:
        return draw.textlength(line, font=face, language=language) <= width

    units = list(text) if script_of(text) == "cjk" else text.split()
    joiner = "" if script_of(text) == "cjk" else " "
    lines: list[str] = []
    current = ""
    for unit in units:
        candidate = f"{current}{joiner}{unit}" if current else unit
        if fits(candidate) or not current:
            current = candidate
        else:
            lines.append(current)
            current = unit
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and not fits(last + "…"):
            last = last[:-1].rstrip()
        lines[-1] = last + "…"
    return lines or [textwrap.shorten(text, 80)]


def card_texts(campaign, shown_count: int, language: str | None = None) -> dict:
    """The words on the card, in `language` when the title is written in it, else the main one."""
    text = campaign.text_in(language)
    with translation.override(text.language):
        number = formats.number_format(shown_count, use_l10n=True, force_grouping=True)
        return {
            "language": text.language,
            "title": text.title,
            "count": ngettext("%(count)s signature", "%(count)s signatures", shown_count)
            % {"count": number},
            "organisation": _("A campaign by %(organisation)s")
            % {"organisation": campaign.organisation.name},
            "rtl": translation.get_language_bidi(),
        }


def draw_card(campaign, shown_count: int, language: str | None = None) -> bytes:
    """The PNG, 1200 by 630 pixels (the size Open Graph and Twitter's large card expect)."""
    texts = card_texts(campaign, shown_count, language)
    language = texts["language"]
    rtl = texts["rtl"] or script_of(texts["title"]) == "arabic"
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 16), fill=ACCENT)
    inner = WIDTH - 2 * MARGIN

    def line(text, face, y, colour):
        width = draw.textlength(text, font=face, language=language)
        x = WIDTH - MARGIN - width if rtl else MARGIN
        draw.text((x, y), text, font=face, fill=colour, language=language)

    title_face = font(texts["title"], 64, bold=True)
    y = MARGIN + 8
    for title_line in wrap(texts["title"], title_face, inner, 4, language):
        line(title_line, title_face, y, TEXT)
        y += 84
    count_face = font(texts["count"], 52, bold=True)
    line(texts["count"], count_face, HEIGHT - MARGIN - 150, ACCENT)
    organisation_face = font(texts["organisation"], 36)
    line(texts["organisation"], organisation_face, HEIGHT - MARGIN - 60, MUTED)
    output = io.BytesIO()
    image.save(output, "PNG", optimize=True)
    return output.getvalue()


def card_version(campaign, language: str | None = None) -> str:
    """Changes when the card would look different: its texts, language or count step."""
    text = campaign.text_in(language)
    parts = [
        text.title,
        campaign.organisation.name,
        text.language,
        str(count_step(campaign.signature_count)),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def share_card(campaign, language: str | None = None) -> bytes:
    """The campaign's card (in `language` if its title is), drawn once per version, cached."""
    key = f"share-card:{campaign.pk}:{card_version(campaign, language)}"
    try:
        png = cache.get(key)
    except Exception:  # the cache is down: draw it
        logger.warning("share card: cache unavailable", exc_info=True)
        png = None
    if png is None:
        png = draw_card(campaign, count_step(campaign.signature_count), language)
        try:
            cache.set(key, png, CARD_SECONDS)
        except Exception:
            logger.warning("share card: cache unavailable", exc_info=True)
    return png
