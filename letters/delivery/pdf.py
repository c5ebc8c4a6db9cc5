"""Print-ready PDFs: a signer's own letter, and a campaign's petition with its signers.

Both are HTML templates (templates/letters/pdf/) laid out by WeasyPrint, which shapes Arabic,
Cyrillic, Chinese and accented Latin through Pango with the installed Noto fonts. WeasyPrint
never fetches anything: the templates carry their CSS inline and the fetcher refuses every URL,
so a hostile value can neither reach the network nor read a local file.

The petition's signer list can hold 100,000 names. One WeasyPrint document that long takes
minutes (layout grows faster than the row count) and holds every box in memory, so the list is
laid out in chunks of a few thousand rows, each streamed from the database, written to a
temporary file and concatenated with pypdf. A chunk's last page is usually part-filled: it is
dropped and its rows start the next chunk, so every list page but the last is full. Page
numbers ("12 / 650") are stamped on at the end, once the total is known. Large lists are split
in two contiguous ranges laid out by two processes.
"""

import datetime
import itertools
import logging
import os
import secrets
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import current_process, get_context
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_countries import countries

from campaigns.letter_templates import LetterContext, render_letter

from ..models import Letter, Signature

logger = logging.getLogger(__name__)


PETITION_DIR = "petitions"
# Rows per WeasyPrint document: layout time per row grows with the document (0.7 s per 1,000
# rows at 1,000-2,000 rows, 1 s at 10,000, measured here), memory too.
CHUNK_ROWS = 2000
# Signers per paragraph: running text with a few paragraphs per column is several times
# quicker to lay out than a box per signer (2,000 signers: 0.8 s against 5.3 s, measured here).
GROUP_ROWS = 25
# Below this many signers one process is quicker than starting two.
PARALLEL_FROM = 20_000
PARALLEL_WORKERS = 2


def no_fetching():
    """A URL fetcher that refuses every URL: our PDFs need no image, stylesheet or font."""
    from weasyprint.urls import URLFetcher

    class NoFetching(URLFetcher):
        def fetch(self, url, headers=None):
            raise ValueError(f"PDF rendering fetches nothing ({url[:80]!r} refused)")

    return NoFetching()


def _html(html: str):
    # Imported here: WeasyPrint (and Pango) load in the processes that make PDFs only, and
    # its per-step progress messages stay out of the logs.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    from weasyprint import HTML

    return HTML(string=html, base_url=None, url_fetcher=no_fetching())


def render_pdf(html: str, target=None):
    """Lay out one HTML document; bytes, or written to `target` (a path or file) if given."""
    return _html(html).write_pdf(target)


def _render_document(html: str):
    return _html(html).render()


def is_rtl(language: str) -> bool:
    try:
        return translation.get_language_info(language)["bidi"]
    except KeyError:
        return False


def country_name(code) -> str:
    return str(countries.name(str(code))) if code else ""


# -- The signer's letter -----------------------------------------------------------------------


@dataclass
class PrintedLetter:
    """What one page of the signer's PDF shows (plain strings, escaped by the template)."""

    language: str
    target: object
    subject: str
    body: str
    date: datetime.date


def printed_letters(signature: Signature) -> list[PrintedLetter]:
    """The signature's letters, one per official; rendered from the campaign's template when
    the letters have not been written yet (they are, on confirmation)."""
    letters = list(signature.letters.select_related("target").order_by("pk"))
    if letters:
        return [printed_letter(letter) for letter in letters]
    campaign = signature.campaign
    templates = {template.language: template for template in campaign.letter_templates.all()}
    if not templates:
        return []
    cases = list(campaign.cases.all())
    date = timezone.localdate(signature.confirmed_at or timezone.now())
    result = []
    for target in campaign.targets.all().order_by("pk"):
        template = (
            templates.get(target.language)
            or templates.get(signature.language)
            or next(iter(templates.values()))
        )
        with translation.override(template.language):
            context = LetterContext.build(target=target, cases=cases, signer=signature)
            body = render_letter(signature.letter_text or template.body, context)
            subject = render_letter(template.subject, context)
        result.append(PrintedLetter(template.language, target, subject, body, date))
    return result


def printed_letter(letter: Letter) -> PrintedLetter:
    return PrintedLetter(
        language=letter.language,
        target=letter.target,
        subject=letter.subject,
        body=letter.body,
        date=timezone.localdate(letter.created_at),
    )


def letter_pdf(letter_or_signature) -> bytes:
    """The signer's letter(s) as a print-ready A4 PDF: one page (or more) per official.

    The official's postal address sits where a left-hand envelope window shows it (DIN 5008
    form B, which DL and C5/6 window envelopes match), whatever the letter's direction.
    """
    if isinstance(letter_or_signature, Letter):
        signature = letter_or_signature.signature
        letters = [printed_letter(letter_or_signature)]
    else:
        signature = letter_or_signature
        letters = printed_letters(signature)
    pages = []
    for letter in letters:
        with translation.override(letter.language):
            target = letter.target
            pages.append(
                {
                    "language": letter.language,
                    "rtl": is_rtl(letter.language),
                    "address": [
                        line
                        for line in [
                            target.name,
                            target.position,
                            target.institution,
                            *target.postal_address.splitlines(),
                            country_name(target.country),
                        ]
                        if line.strip()
                    ],
                    "date": date_format(letter.date, "DATE_FORMAT"),
                    "subject": letter.subject,
                    "paragraphs": paragraphs(letter.body),
                    "sender": [
                        line
                        for line in [
                            signature.name,
                            signature.city,
                            country_name(signature.country),
                        ]
                        if line.strip()
                    ],
                    "labels": {"date": _("Date")},
                }
            )
    language = letters[0].language if letters else signature.language
    with translation.override(language):
        html = render_to_string(
            "letters/pdf/letter.html",
            {"pages": pages, "campaign": signature.campaign, "language": language},
        )
    return render_pdf(html)


def paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs; single line breaks are kept inside a paragraph."""
    blocks = [block.strip("\n") for block in text.replace("\r\n", "\n").split("\n\n")]
    return [block for block in blocks if block.strip()]


# -- The petition ------------------------------------------------------------------------------


def petition_signers(campaign):
    """Who appears in the petition: confirmed, not erased, and consented to share their name."""
    return (
        Signature.objects.confirmed()
        .filter(campaign=campaign, erased_at__isnull=True, consent_share_name=True)
        .order_by("pk")
    )


def petition_language(campaign, target=None) -> str:
    languages = list(campaign.letter_templates.values_list("language", flat=True))
    for language in [target.language if target else None, settings.LANGUAGE_CODE]:
        if language in languages:
            return language
    return languages[0] if languages else settings.LANGUAGE_CODE


def petition_path(campaign, target=None) -> Path:
    """A new, unguessable file name under PRIVATE_FILES_ROOT/petitions/<campaign>/."""
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    who = f"target-{target.pk}" if target else "all"
    name = f"petition-{campaign.slug}-{who}-{stamp}-{secrets.token_urlsafe(12)}.pdf"
    return Path(settings.PRIVATE_FILES_ROOT) / PETITION_DIR / campaign.slug / name


def petition_pdf(campaign, target=None, out=None, *, workers: int | None = None) -> Path:
    """Write the petition (letter, cases, consenting signers) to a file and return its path.

    `out` defaults to a new file under PRIVATE_FILES_ROOT/petitions/. The letter is in the
    official's language when the campaign has one. Memory stays flat: rows are streamed from
    the database chunk by chunk and no chunk's layout outlives its temporary file.
    """
    started = time.monotonic()
    out = Path(out) if out else petition_path(campaign, target)
    out.parent.mkdir(parents=True, exist_ok=True)
    language = petition_language(campaign, target)
    signers = petition_signers(campaign)
    total = signers.count()
    if workers is None:
        workers = PARALLEL_WORKERS if total >= PARALLEL_FROM and can_fork() else 1
    with translation.override(language), tempfile.TemporaryDirectory(prefix="petition-") as tmp:
        tmp = Path(tmp)
        context = petition_context(campaign, target, language, total)
        front = tmp / "front.pdf"
        render_pdf(render_to_string("letters/pdf/petition.html", context), front)
        ranges = split_ranges(signers, total, workers)
        header = {"title": campaign.title, "rtl": context["rtl"], "language": language}
        if workers > 1 and len(ranges) > 1:
            # Forked children lay out every range but the last, which this process lays out
            # meanwhile: as many processes as workers, none of them idle. The children open
            # their own database connections; the parent's must not be shared across the fork.
            connections.close_all()
            *forked_ranges, (last_low, last_high) = ranges
            with ProcessPoolExecutor(
                len(forked_ranges), mp_context=get_context("fork"), initializer=_forget_connections
            ) as pool:
                futures = [
                    pool.submit(_render_range, campaign.pk, low, high, header, tmp / f"r{i}", True)
                    for i, (low, high) in enumerate(forked_ranges)
                ]
                last = _render_range(campaign.pk, last_low, last_high, header, tmp / "last")
                parts = [path for future in futures for path in future.result()] + last
        else:
            parts = [
                path
                for i, (low, high) in enumerate(ranges)
                for path in _render_range(campaign.pk, low, high, header, tmp / f"r{i}")
            ]
        partial = out.with_name(out.name + ".part")
        pages = concatenate([front, *parts], partial)
        os.replace(partial, out)
    logger.info(
        "petition PDF for campaign %s: %s signers, %s pages in %.1f s",
        campaign.pk,
        total,
        pages,
        time.monotonic() - started,
        extra={"campaign_id": campaign.pk, "signers": total, "pages": pages},
    )
    return out


def can_fork() -> bool:
    """Celery's prefork children are daemons, which may not start processes of their own."""
    return not current_process().daemon and os.name == "posix"


def petition_context(campaign, target, language, total) -> dict:
    template = campaign.letter_templates.filter(language=language).first()
    cases = list(campaign.cases.all().order_by("date_of_death", "pk"))
    targets = [target] if target else list(campaign.targets.all().order_by("pk"))
    context = LetterContext.build(target=targets[0] if len(targets) == 1 else None, cases=cases)
    if len(targets) != 1:
        context.target_name = _("Sir or Madam")
    context.signer_name = _("The undersigned")
    subject = render_letter(template.subject, context) if template else campaign.title
    body = render_letter(template.body, context) if template else campaign.summary
    return {
        "campaign": campaign,
        "organisation": campaign.organisation,
        "language": language,
        "rtl": is_rtl(language),
        "targets": [
            {
                "name": t.name,
                "position": t.position,
                "institution": t.institution,
                "country": country_name(t.country),
            }
            for t in targets
        ],
        "date": date_format(timezone.localdate(), "DATE_FORMAT"),
        "subject": subject,
        "paragraphs": paragraphs(body),
        "cases": [
            {
                "name": case.full_name,
                "when_where": describe_case_place(case),
                "status": case.status_label,
                "summary": case.summary,
            }
            for case in cases
        ],
        "total": total,
    }


def describe_case_place(case) -> str:
    from campaigns.letter_templates import describe_case

    # describe_case starts with the name, which the template shows on its own.
    described = describe_case(case)
    return described.removeprefix(case.full_name).lstrip(" –")


def split_ranges(signers, total: int, parts: int) -> list[tuple[int, int | None]]:
    """Contiguous primary-key ranges (low exclusive, high inclusive) of about equal size."""
    if parts <= 1 or total < 2:
        return [(0, None)]
    bounds = []
    for i in range(1, parts):
        bound = signers.values_list("pk", flat=True)[total * i // parts - 1 : total * i // parts]
        bounds.extend(bound)
    edges = [0, *bounds, None]
    return list(itertools.pairwise(edges))


def _forget_connections():
    """In a forked child: drop inherited database connections without closing their sockets.

    Closing would end the parent's session on the server; using them would interleave two
    processes on one socket. The child opens its own connection on first use.
    """
    for connection in connections.all(initialized_only=True):
        connection.connection = None


def _render_range(campaign_id, low, high, header, folder: Path, forked=False) -> list[Path]:
    """Lay out one range of the signer list in chunks; the paths of the chunk PDFs, in order."""
    from campaigns.models import Campaign

    try:
        folder.mkdir(parents=True, exist_ok=True)
        campaign = Campaign(pk=campaign_id)
        rows = petition_signers(campaign).filter(pk__gt=low)
        if high is not None:
            rows = rows.filter(pk__lte=high)
        rows = rows.values_list("pk", "name", "city", "country").iterator(chunk_size=CHUNK_ROWS)
        with translation.override(header["language"]):
            return list(_render_chunks(rows, header, folder))
    finally:
        if forked:
            connections.close_all()


def _render_chunks(rows, header, folder: Path):
    """Yield chunk PDFs; each but the last ends on a full page (its part-filled page's rows
    are carried into the next chunk)."""
    carried: list[tuple] = []
    index = 0
    exhausted = False
    while not exhausted:
        chunk = carried
        carried = []
        while len(chunk) < CHUNK_ROWS:
            row = next(rows, None)
            if row is None:
                exhausted = True
                break
            chunk.append(row)
        if not chunk:
            return
        entries = [signer_entry(name, city, country) for _pk, name, city, country in chunk]
        groups = [
            (f"g{start}", " · ".join(entries[start : start + GROUP_ROWS]))
            for start in range(0, len(entries), GROUP_ROWS)
        ]
        html = render_to_string("letters/pdf/petition_signers.html", {**header, "groups": groups})
        document = _render_document(html)
        pages = document.pages
        if not exhausted and len(pages) > 1:
            # Carry the rows of the last (part-filled) page over to the next chunk: a group
            # never breaks across pages, so its anchor says where the page starts.
            first_on_last = min(int(anchor[1:]) for anchor in pages[-1].anchors)
            carried = chunk[first_on_last:]
            document = document.copy(pages[:-1])
        path = folder / f"{index:05d}.pdf"
        document.write_pdf(path)
        index += 1
        del document, pages
        yield path


def signer_entry(name: str, city: str, country) -> str:
    """ "Name (City, Country)": one entry of the list, plain text."""
    place = ", ".join(part for part in (city, country_name(country)) if part)
    return f"{name} ({place})" if place else name


def concatenate(paths: list[Path], out: Path) -> int:
    """Join the PDFs in order, stamp "n / total" at the foot of every page; the page count."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for path in paths:
        writer.append(PdfReader(path))
    total = len(writer.pages)
    stamp_page_numbers(writer, total)
    with open(out, "wb") as handle:
        writer.write(handle)
    return total


def stamp_page_numbers(writer, total: int) -> None:
    """Write "n / total" at the foot of each page in Helvetica (digits only: no shaping).

    The page's own content is wrapped in q/Q so that whatever transformation it leaves in
    place (WeasyPrint flips the y axis) does not move the number.
    """
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

    def stream(data: bytes):
        obj = DecodedStreamObject()
        obj.set_data(data)
        return writer._add_object(obj)

    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        )
    )
    save = stream(b"q\n")
    for number, page in enumerate(writer.pages, start=1):
        resources = page.get("/Resources")
        resources = resources.get_object() if resources is not None else DictionaryObject()
        fonts = resources.get("/Font")
        fonts = fonts.get_object() if fonts is not None else DictionaryObject()
        fonts[NameObject("/IdeiPageNumber")] = font
        resources[NameObject("/Font")] = fonts
        page[NameObject("/Resources")] = resources
        text = f"{number} / {total}"
        width = float(page.mediabox.width)
        # Helvetica's digits are 0.556 em wide, its space and slash 0.278: centred at 8 pt.
        x = (width - (len(text) - 3 + 3 * 0.5) * 0.556 * 8) / 2
        stamp = stream(
            f"\nQ q 0.35 g BT /IdeiPageNumber 8 Tf {x:.2f} 22 Td ({text}) Tj ET Q\n".encode()
        )
        original = page.get("/Contents")
        parts = (
            list(original.get_object())
            if isinstance(original.get_object(), ArrayObject)
            else [original]
        )
        page[NameObject("/Contents")] = ArrayObject([save, *parts, stamp])
