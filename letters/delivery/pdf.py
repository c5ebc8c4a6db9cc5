"""Print-ready PDFs: a signer's own letter, and a campaign's petition with its signers.

Both are HTML templates (templates/letters/pdf/) laid out by WeasyPrint, which shapes Arabic,
Cyrillic, Chinese and accented Latin through Pango with the installed Noto fonts. WeasyPrint
never fetches anything: the templates carry their CSS inline and the fetcher refuses every URL,
so a hostile value can neither reach the network nor read a local file.

A petition is its cover pages (the letter, addressed to one official or to all, and the cases)
followed by the signer list, which can hold 100,000 names and takes a minute or more to lay
out. So the list is laid out once per campaign and language and kept as a PDF part in private
storage until a signer is added or removed (signer_list); each petition lays out only its cover
and is joined with the part by pypdf, which stamps the page numbers ("12 / 650") over the whole.

One WeasyPrint document that long would hold every box in memory, so the list is laid out in
chunks of a few thousand rows, each streamed from the database and written to a temporary
file. A chunk's last page is usually part-filled: it is dropped and its rows start the next
chunk, so every list page but the last is full. Each chunk's pages are one column wide, and
pypdf puts two side by side on each A4 page (impose): the two-column page the reader sees,
without WeasyPrint's CSS columns, which lay out every line twice. Everything runs in the
calling process: a Celery prefork child, which makes PDFs in production, may not start
processes of its own.
"""

import contextlib
import datetime
import hashlib
import json
import logging
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Sum
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_countries import countries

from campaigns.addresses import envelope_lines
from campaigns.letter_templates import LetterContext, describe_case, position_in, render_letter

from ..models import Letter, Signature
from .composition import LetterAsSent, letter_as_sent, letters_as_sent, shares_name

logger = logging.getLogger(__name__)


PETITION_DIR = "petitions"
# Rows per WeasyPrint document. Laid out a column per page (see impose), time per row hardly
# grows with the document, and each chunk lays out its carried rows again: 16,000 signers took
# 11.0 s in chunks of 8,000 rows, 11.0-12.8 s of 4,000 and 11.8-12.9 s of 16,000, peak memory
# 219, 238 and 277 MB (measured here).
CHUNK_ROWS = 8000
# Signers per paragraph: running text with a few paragraphs per column is several times
# quicker to lay out than a box per signer (2,000 signers: 0.8 s against 5.3 s, measured here).
# A paragraph never breaks across pages, so a column ends up to a paragraph short of the page's
# foot: 25 a paragraph leave up to 150 pt of an A4 column empty (18 %). 10 a paragraph filled
# the columns (5 % fewer pages) but laid 100,000 signers out in 127 s instead of 96 s, past the
# 120 s target (bench/README.md): 25 it is.
GROUP_ROWS = 25
# The coordinator's petition page shows how far a signer list being laid out has come, counted
# every this many rows and kept this long after the last count.
PROGRESS_ROWS = 500
PROGRESS_SECONDS = 600
# A signer list or coordinator's petition that a newer one replaced is removed once it has not
# been used for this long (a petition being joined from it touches it).
UNUSED_SECONDS = 3600
# When a petition was begun, in its file name: to the microsecond, so that a file begun before a
# coordinator asked is told from one begun after (see views.ready_petition).
STAMP_FORMAT = "%Y%m%d-%H%M%S%f"
# From one column of the signer list to the next: its width and the gap (86 + 8 mm, as in
# templates/letters/pdf/petition_signers.html), in PDF points.
COLUMN_STEP = (86 + 8) / 25.4 * 72


def no_fetching():
    """A URL fetcher that refuses every URL: our PDFs need no image, stylesheet or font."""
    # Imported here: WeasyPrint loads in the processes that make PDFs only (see _html).
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


def letter_pdf(letter_or_signature) -> bytes:
    """The signer's letter(s) as a print-ready A4 PDF: one page (or more) per official.

    Each page is the letter as it is sent (composition.letters_as_sent: the same text as the
    official's e-mail, personal message included), followed, when the official reads another
    language than the signer, by a page with the signer's-language text marked as not sent.
    The sender block names the signer only if they agreed to share their name. The official's
    postal address sits where a left-hand envelope window shows it (DIN 5008 form B, which DL
    and C5/6 window envelopes match), whatever the letter's direction.
    """
    if isinstance(letter_or_signature, Letter):
        signature = letter_or_signature.signature
        written = letter_or_signature
        letters = [
            LetterAsSent(
                written.target,
                letter_as_sent(written),
                None,
                timezone.localdate(written.created_at),
            )
        ]
    else:
        signature = letter_or_signature
        letters = letters_as_sent(signature)
    sender = [signature.name, signature.city] if shares_name(signature) else []
    pages = []
    for letter in letters:
        for composed, is_translation in [(letter.sent, False), (letter.translation, True)]:
            if composed is None:
                continue
            with translation.override(composed.language):
                pages.append(
                    {
                        "language": composed.language,
                        "rtl": is_rtl(composed.language),
                        "address": postal_lines(letter.target, composed.language),
                        "date": date_format(letter.date, "DATE_FORMAT"),
                        "subject": composed.subject,
                        "paragraphs": paragraphs(composed.text),
                        "sender": [
                            line
                            for line in [*sender, country_name(signature.country) if sender else ""]
                            if line.strip()
                        ],
                        "labels": {"date": _("Date")},
                    }
                )
            if is_translation:
                with translation.override(signature.language):
                    pages[-1]["note"] = _(
                        "Translation into %(language)s, for you: the official receives the "
                        "letter on the page before, in %(sent)s."
                    ) % {
                        "language": letter.translation_language_name,
                        "sent": letter.language_name,
                    }
    language = letters[0].sent.language if letters else signature.language
    with translation.override(language):
        html = render_to_string(
            "letters/pdf/letter.html",
            {"pages": pages, "campaign": signature.campaign, "language": language},
        )
    return render_pdf(html)


def postal_lines(target, language: str) -> list[str]:
    """The official's name, position and postal address as the envelope shows it, laid out as
    the official's country writes addresses, the country named in the letter's language."""
    return envelope_lines(target, language)


def paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs; single line breaks are kept inside a paragraph."""
    blocks = [block.strip("\n") for block in text.replace("\r\n", "\n").split("\n\n")]
    return [block for block in blocks if block.strip()]


# -- The petition ------------------------------------------------------------------------------


def petition_signers(campaign):
    """Who appears in the petition: counted, not erased, and consented to share their name."""
    return (
        Signature.objects.counted()
        .filter(campaign=campaign, erased_at__isnull=True, consent_share_name=True)
        .order_by("pk")
    )


def petition_language(campaign, target=None) -> str:
    languages = list(campaign.letter_templates.values_list("language", flat=True))
    for language in [target.language if target else None, settings.LANGUAGE_CODE]:
        if language in languages:
            return language
    return languages[0] if languages else settings.LANGUAGE_CODE


def petition_folder(campaign) -> Path:
    return Path(settings.PRIVATE_FILES_ROOT) / PETITION_DIR / campaign.slug


def petition_path(campaign, target=None, version: str = "") -> Path:
    """A new, unguessable file name under PRIVATE_FILES_ROOT/petitions/<campaign>/.

    The coordinator's petition (no target) carries its version (see petition_version).
    """
    stamp = timezone.now().strftime(STAMP_FORMAT)
    who = f"target-{target.pk}" if target else f"all-{version}"
    name = f"petition-{campaign.slug}-{who}-{stamp}-{secrets.token_urlsafe(12)}.pdf"
    return petition_folder(campaign) / name


def signers_version(campaign) -> tuple[int, str]:
    """How many signers the petition lists, and a digest that changes with who they are.

    A signer who confirms moves the newest confirmation; one who is erased or withdraws their
    consent lowers the count; the sum of the ids tells two such changes from none. The
    campaign's title (or its translation into the list's language) is in the running header.
    """
    figures = (
        petition_signers(campaign)
        .order_by()
        .aggregate(count=Count("pk"), newest=Max("confirmed_at"), ids=Sum("pk"))
    )
    newest = figures["newest"].isoformat() if figures["newest"] else ""
    titles = sorted(campaign.translations.values_list("language", "title"))
    digest = _digest(figures["count"], newest, figures["ids"] or 0, campaign.title, titles)
    return figures["count"], digest


def _digest(*values) -> str:
    data = json.dumps(values, default=str, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


# The signer list: laid out once, shared by every petition in its language.


@dataclass(frozen=True)
class SignerList:
    """A campaign's signer list laid out in one language: a PDF part without page numbers."""

    path: Path
    signers: int
    language: str


def signer_list(campaign, language: str) -> SignerList:
    """The signer list in this language, laid out only if the signers changed since last time.

    The part is kept under PRIVATE_FILES_ROOT/petitions/<campaign>/, named after the signers'
    version, and every petition in this language (each official's at close, the coordinator's)
    is its own cover pages followed by this part. Languages differ in the running header, the
    country names and the direction, so each has its own part.
    """
    count, digest = signers_version(campaign)
    folder = petition_folder(campaign)
    stem = f"signers-{language}-{digest}"
    for path in folder.glob(f"{stem}-n*.pdf"):
        try:
            # Used now: forget_unused leaves it alone for another UNUSED_SECONDS.
            os.utime(path)
        except FileNotFoundError:
            continue
        return SignerList(path, int(path.stem.rsplit("-n", 1)[1]), language)
    started = time.monotonic()
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{stem}-{secrets.token_urlsafe(6)}.part"
    try:
        laid_out, pages = lay_out_signer_list(campaign, language, partial, total=count)
        # Named after the count actually laid out: the cover says the same number as the list,
        # even if someone signed while it was being laid out.
        path = folder / f"{stem}-n{laid_out}.pdf"
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    forget_unused(folder, f"signers-{language}-*.pdf", keep=path)
    logger.info(
        "petition signer list for campaign %s in %s: %s signers, %s pages in %.1f s",
        campaign.pk,
        language,
        laid_out,
        pages,
        time.monotonic() - started,
        extra={"campaign_id": campaign.pk, "signers": laid_out, "pages": pages},
    )
    if laid_out != count:
        logger.info("campaign %s: %s signers counted, %s laid out", campaign.pk, count, laid_out)
    return SignerList(path, laid_out, language)


def progress_key(campaign_id: int) -> str:
    return f"petition-progress:{campaign_id}"


def petition_progress(campaign) -> dict | None:
    """How far the signer list being laid out has come: {"done": n, "total": m}, or None."""
    try:
        found = cache.get(progress_key(campaign.pk))
    except Exception:  # the cache is down: no progress to show, the file still comes
        return None
    return {"done": found[0], "total": found[1]} if found else None


def lay_out_signer_list(campaign, language: str, out: Path, total: int = 0) -> tuple[int, int]:
    """Lay out the signer list into `out`, a PDF without page numbers; signers and pages.

    Rows are streamed from the database (a server-side cursor on PostgreSQL) and laid out in
    chunks, each written to a temporary file before the next one starts, so memory stays flat
    however many signers there are. Every PROGRESS_ROWS rows, how far it has come is put in
    the cache for the coordinator's petition page (petition_progress).
    """
    rows = (
        petition_signers(campaign)
        .values_list("name", "city", "country")
        .iterator(chunk_size=CHUNK_ROWS)
    )
    counted = 0

    def counting(rows):
        nonlocal counted
        for row in rows:
            counted += 1
            if counted % PROGRESS_ROWS == 0 and total:
                with contextlib.suppress(Exception):  # progress is a courtesy: never fail on it
                    cache.set(progress_key(campaign.pk), (counted, total), PROGRESS_SECONDS)
            yield row

    # The running header names the campaign as the list's language reads it, when written in it.
    title = campaign.text_in(language).title
    header = {"title": title, "rtl": is_rtl(language), "language": language}
    with (
        translation.override(language),
        tempfile.TemporaryDirectory(prefix="petition-signers-") as tmp,
    ):
        running = Path(tmp) / "header.pdf"
        html = render_to_string("letters/pdf/petition_signers.html", {**header, "running": True})
        render_pdf(html, running)
        chunks = list(_render_chunks(counting(rows), header, Path(tmp)))
        pages = impose(running, chunks, out, rtl=header["rtl"])
    return counted, pages


def _render_chunks(rows, header, folder: Path):
    """Yield chunk PDFs of one-column pages; each chunk but the last ends on a full page and
    has an even number of them (its last part-filled page's rows, and an odd page's, are
    carried into the next chunk), so that impose() pairs columns of one chunk only."""
    carried: list[tuple] = []
    index = 0
    exhausted = False
    # Country names in the list's language, each looked up once (django-countries takes tens
    # of microseconds a name: seconds for 100,000 signers).
    country_names: dict[str, str] = {}

    def country(code) -> str:
        code = str(code)
        if code not in country_names:
            country_names[code] = country_name(code)
        return country_names[code]

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
        entries = [signer_entry(name, city, country(code)) for name, city, code in chunk]
        groups = [
            (f"g{start}", " · ".join(entries[start : start + GROUP_ROWS]))
            for start in range(0, len(entries), GROUP_ROWS)
        ]
        html = render_to_string("letters/pdf/petition_signers.html", {**header, "groups": groups})
        document = _render_document(html)
        pages = document.pages
        keep = (len(pages) - 1) // 2 * 2
        if not exhausted and keep:
            # Carry the rows of the dropped pages over to the next chunk: a group never breaks
            # across pages, so its anchor says where a page starts.
            first_dropped = min(int(anchor[1:]) for anchor in pages[keep].anchors)
            carried = chunk[first_dropped:]
            document = document.copy(pages[:keep])
        path = folder / f"{index:05d}.pdf"
        document.write_pdf(path)
        index += 1
        del document, pages
        yield path


def impose(running: Path, chunks: list[Path], out: Path, *, rtl: bool) -> int:
    """Put the list's one-column pages side by side, two to an A4 page, under the running
    header (the first page of `running`); write them to `out` and return the page count.

    WeasyPrint lays out every line of a multi-column box twice (once to find how far the
    columns reach), so the list is laid out a column per page, each page's content drawn
    here as a form: the same page for the reader, laid out 1.7 times quicker (measured here).
    """
    # Imported here: pypdf, like WeasyPrint, loads in the processes that make PDFs only.
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    header_form = page_form(writer, PdfReader(running).pages[0])
    shift = -COLUMN_STEP if rtl else COLUMN_STEP
    # Kept open until written: pypdf tells the objects of one reader from another's by id().
    readers = []
    for path in chunks:
        reader = PdfReader(path)
        readers.append(reader)
        columns = reader.pages
        for first in range(0, len(columns), 2):
            pair = [columns[i] for i in (first, first + 1) if i < len(columns)]
            box = pair[0].mediabox
            page = writer.add_blank_page(float(box.width), float(box.height))
            forms = {"/IdeiHeader": header_form}
            drawing = [b"q /IdeiHeader Do Q"]
            for number, column in enumerate(pair):
                name = f"/IdeiColumn{number}"
                forms[name] = page_form(writer, column)
                drawing.append(f"q 1 0 0 1 {shift * number:.3f} 0 cm {name} Do Q".encode())
            xobjects = DictionaryObject({NameObject(k): v for k, v in forms.items()})
            page[NameObject("/Resources")] = DictionaryObject({NameObject("/XObject"): xobjects})
            content = DecodedStreamObject()
            content.set_data(b"\n".join(drawing))
            page[NameObject("/Contents")] = writer._add_object(content)
    with open(out, "wb") as handle:
        writer.write(handle)
    del readers
    return len(writer.pages)


def page_form(writer, page):
    """A page of another PDF as a form XObject in `writer` (its content stream as it is)."""
    # Imported here: pypdf, like WeasyPrint, loads in the processes that make PDFs only.
    from pypdf.generic import ArrayObject, DecodedStreamObject, NameObject, StreamObject

    contents = page.raw_get("/Contents").get_object()
    if isinstance(contents, StreamObject):
        form = contents.clone(writer, force_duplicate=True)
    else:  # several streams: joined (pypdf decodes them)
        form = DecodedStreamObject()
        form.set_data(page.get_contents().get_data())
        form = writer._add_object(form).get_object()
    form[NameObject("/Type")] = NameObject("/XObject")
    form[NameObject("/Subtype")] = NameObject("/Form")
    form[NameObject("/BBox")] = ArrayObject(page.mediabox)
    form[NameObject("/Resources")] = page.raw_get("/Resources").clone(writer)
    return form.indirect_reference


def forget_unused(folder: Path, pattern: str, keep: Path) -> None:
    """Remove the files a newer one replaced, once nobody has used them for UNUSED_SECONDS.

    They hold names of signers who may have been erased since; a petition being put together
    from one touches it (signer_list), so it is not removed from under it.
    """
    cutoff = time.time() - UNUSED_SECONDS
    for path in folder.glob(pattern):
        if path == keep:
            continue
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < cutoff:
                path.unlink()


# Each petition: its cover pages, then the shared signer list.


def petition_pdf(campaign, target=None, out=None, *, signers: SignerList | None = None) -> Path:
    """Write the petition (letter, cases, consenting signers) to a file and return its path.

    `out` defaults to a new file under PRIVATE_FILES_ROOT/petitions/. Only the cover pages are
    laid out here: the letter, in the official's language when the campaign has one, and the
    cases. The signer list is the campaign's shared part in that language (`signers`, or
    signer_list's), and page numbers ("12 / 650") run over the whole document.
    """
    started = time.monotonic()
    out = Path(out) if out else petition_path(campaign, target)
    out.parent.mkdir(parents=True, exist_ok=True)
    language = petition_language(campaign, target)
    if signers is None or signers.language != language:
        signers = signer_list(campaign, language)
    partial = out.with_name(out.name + ".part")
    with translation.override(language), tempfile.TemporaryDirectory(prefix="petition-") as tmp:
        cover = Path(tmp) / "cover.pdf"
        context = petition_context(campaign, target, language, signers.signers)
        render_pdf(render_to_string("letters/pdf/petition.html", context), cover)
        pages = concatenate([cover, signers.path], partial)
        os.replace(partial, out)
    logger.info(
        "petition PDF for campaign %s: %s signers, %s pages in %.1f s",
        campaign.pk,
        signers.signers,
        pages,
        time.monotonic() - started,
        extra={"campaign_id": campaign.pk, "signers": signers.signers, "pages": pages},
    )
    return out


def petition_context(campaign, target, language, total) -> dict:
    template = campaign.letter_templates.filter(language=language).first()
    cases = list(campaign.letter_cases())
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
                "position": position_in(t, language),
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
        # Everyone counted signed it; the list names those who agreed to share their name.
        "signed": Signature.objects.counted().filter(campaign=campaign).count(),
    }


def describe_case_place(case) -> str:
    # describe_case starts with the name, which the template shows on its own.
    described = describe_case(case)
    return described.removeprefix(case.full_name).lstrip(" –")


# The coordinator's petition (all officials), made by a worker and downloaded from the dashboard.


@dataclass(frozen=True)
class PetitionFile:
    """A coordinator's petition file: its version (signers and cover) and when it was begun."""

    path: Path
    version: str
    signers: int
    made_at: datetime.datetime

    def is_current(self, version: str) -> bool:
        return self.version == version


def petition_version(campaign) -> str:
    """The coordinator's petition's version, "<signers>-<digest>".

    It changes when a signer is added or removed or the cover changes (letter, officials,
    cases); not with the date on the cover.
    """
    count, signers_digest = signers_version(campaign)
    language = petition_language(campaign)
    with translation.override(language):
        context = petition_context(campaign, None, language, count)
    cover = [context[key] for key in ("language", "targets", "subject", "paragraphs", "cases")]
    return f"{count}-{_digest(signers_digest, campaign.organisation.name, cover)}"


def petition_files(campaign) -> list[PetitionFile]:
    """The coordinator's petition files of this campaign, newest first."""
    prefix = f"petition-{campaign.slug}-all-"
    files = []
    for path in petition_folder(campaign).glob(f"{prefix}*.pdf"):
        try:
            signers, digest, day, hour, _token = path.name.removeprefix(prefix).split("-", 4)
            made_at = datetime.datetime.strptime(f"{day}-{hour}", STAMP_FORMAT).replace(
                tzinfo=datetime.UTC
            )
            files.append(PetitionFile(path, f"{signers}-{digest}", int(signers), made_at))
        except ValueError:
            continue  # not one of ours (or from before versions)
    return sorted(files, key=lambda file: (file.made_at, file.path.name), reverse=True)


def coordinator_petition(campaign) -> PetitionFile:
    """The coordinator's petition for the signatures as they are: the file if it was made,
    else made now (the task generate_petition_pdf)."""
    version = petition_version(campaign)
    for file in petition_files(campaign):
        if file.is_current(version):
            return file
    path = petition_pdf(campaign, out=petition_path(campaign, version=version))
    forget_unused(path.parent, f"petition-{campaign.slug}-all-*.pdf", keep=path)
    return next(file for file in petition_files(campaign) if file.path == path)


def signer_entry(name: str, city: str, country: str) -> str:
    """ "Name (City, Country)": one entry of the list, plain text (`country`: its name)."""
    place = ", ".join(part for part in (city, country) if part)
    return f"{name} ({place})" if place else name


def concatenate(paths: list[Path], out: Path) -> int:
    """Join the PDFs in order, stamp "n / total" at the foot of every page; the page count."""
    # Imported here: pypdf, like WeasyPrint, loads in the processes that make PDFs only.
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
    # Imported here: pypdf, like WeasyPrint, loads in the processes that make PDFs only.
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
