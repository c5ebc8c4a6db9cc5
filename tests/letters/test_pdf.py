"""PDFs: the signer's letter (download by signed link) and the campaign's petition."""

import html
import http.server
import io
import multiprocessing
import re
import threading
import time

import pytest
from django.core import signing
from django.core.cache import cache
from django.db import connections
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from campaigns.models import Membership
from letters.delivery import links, pdf, tasks
from letters.delivery.tasks import generate_petition_pdf
from letters.models import Letter
from tests.factories import CaseFactory, MembershipFactory, TargetFactory
from tests.letters.factories import LetterTemplateFactory, SignatureFactory

pytestmark = pytest.mark.django_db

ARABIC = "محمد عبد الله"
CYRILLIC = "Анна Политковская"
CHINESE = "王小明"
ACCENTED = "José Ñúñez Çelik-Øster"
# Chinese needs a Noto CJK font (fonts-noto-cjk; Arabic, Cyrillic and Latin also print in the
# DejaVu that fontconfig brings): without it the test skips naming the package, and fails under
# CI=true (tests/conftest.py asks fontconfig).
SCRIPTS = [
    ARABIC,
    CYRILLIC,
    pytest.param(CHINESE, marks=pytest.mark.needs_font("zh")),
    ACCENTED,
]


def pdf_text(data) -> str:
    reader = PdfReader(io.BytesIO(data) if isinstance(data, bytes) else data)
    return "\n".join(page.extract_text() for page in reader.pages)


def font_names(data) -> set[str]:
    reader = PdfReader(io.BytesIO(data) if isinstance(data, bytes) else data)
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for font in fonts.values():
            names.add(str(font.get_object().get("/BaseFont", "")))
    return names


def contains_logical(text: str, value: str) -> bool:
    """The value as typed (logical order); pypdf returns right-to-left runs as laid out."""
    squeezed = re.sub(r"\s+", "", text)
    wanted = re.sub(r"\s+", "", value)
    return wanted in squeezed or wanted[::-1] in squeezed


@pytest.fixture
def campaign():
    target = TargetFactory(
        name="Fiscal General",
        position="Attorney General",
        institution="Fiscalía General de la República",
        postal_address="Avenida Paseo de la Reforma 211\n06500 Ciudad de México",
        language="es",
    )
    template = LetterTemplateFactory(language="es")
    template.campaign.targets.add(target)
    template.campaign.cases.add(CaseFactory(full_name="Regina Martínez", place="Xalapa"))
    return template.campaign


def signed(campaign, **fields):
    """A signer who agreed to share their name (the letter and its sender block name them)."""
    fields.setdefault("consent_share_name", True)
    return SignatureFactory(campaign=campaign, **fields)


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    """Petitions and their shared signer lists are written under the test's own folder."""
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    return settings.PRIVATE_FILES_ROOT


def bulk_signers(campaign, count: int, **fields):
    from letters.models import Signature

    Signature.objects.bulk_create(
        Signature(
            campaign=campaign,
            name=f"Petitioner {n:04d}",
            email=f"p{n}@example.org",
            email_key=f"p{n}@example.org",
            country="MX",
            consent_share_name=True,
            confirmed_at=timezone.now(),
            **fields,
        )
        for n in range(count)
    )


# -- The signer's letter -----------------------------------------------------------------------


def test_letter_pdf_shows_the_address_the_letter_and_the_signer(campaign):
    signature = signed(campaign, name="Ana López", city="Puebla")
    reader = PdfReader(io.BytesIO(pdf.letter_pdf(signature)))
    text = reader.pages[0].extract_text()
    assert len(reader.pages) == 1
    for expected in ["Fiscal General", "Avenida Paseo de la Reforma 211", "06500 Ciudad de México"]:
        assert expected in text
    assert "Dear Fiscal General" in text
    assert "Regina Martínez" in text
    assert "Ana López" in text and "Puebla" in text and "México" in text
    assert float(reader.pages[0].mediabox.width) == pytest.approx(595.28, abs=0.5)  # A4


def test_anonymous_signers_pdf_is_signed_as_the_letter_sent_and_names_nobody(campaign):
    signature = signed(
        campaign, name="Ana López", city="Puebla", consent_share_name=False, message="¡Justicia!"
    )
    text = pdf_text(pdf.letter_pdf(signature))
    assert "Ana López" not in text and "Puebla" not in text
    assert "A supporter from" not in text  # the Spanish letter is signed in Spanish
    assert contains_logical(text, "Un simpatizante de México")
    assert "¡Justicia!" in text  # the personal message is part of the letter sent


def test_letter_pdf_has_one_page_per_official(campaign):
    campaign.targets.add(TargetFactory(name="Second Official", language="es"))
    text_pages = PdfReader(io.BytesIO(pdf.letter_pdf(signed(campaign)))).pages
    assert len(text_pages) == 2
    assert "Second Official" in text_pages[1].extract_text()


def test_letter_pdf_of_one_written_letter(campaign):
    signature = signed(campaign)
    target = campaign.targets.get()
    letter = Letter.objects.create(
        signature=signature, target=target, language="fr", subject="Objet", body="Madame,\n\nTexte."
    )
    text = pdf_text(pdf.letter_pdf(letter))
    assert "Objet" in text and "Texte." in text


@pytest.mark.parametrize("name", SCRIPTS)
def test_letter_pdf_keeps_every_script(campaign, name):
    data = pdf.letter_pdf(signed(campaign, name=name, city=""))
    assert contains_logical(pdf_text(data), name)


@pytest.mark.needs_font("ar")
def test_arabic_letter_is_laid_out_with_a_noto_arabic_font(campaign):
    campaign.letter_templates.update(language="ar")
    campaign.targets.update(language="ar")
    data = pdf.letter_pdf(signed(campaign, name=ARABIC, city="القاهرة", country="EG"))
    fonts = {font.replace("-", "") for font in font_names(data)}
    assert any("NotoNaskhArabic" in font or "NotoSansArabic" in font for font in fonts)
    assert contains_logical(pdf_text(data), ARABIC)


@pytest.mark.needs_font("zh")
def test_chinese_name_is_laid_out_with_a_noto_cjk_font(campaign):
    data = pdf.letter_pdf(signed(campaign, name=CHINESE))
    assert any("CJK" in font for font in font_names(data))


class CountingHandler(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):
        CountingHandler.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def http_spy():
    """A real HTTP server on loopback that records every request it gets."""
    CountingHandler.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", CountingHandler.hits
    server.shutdown()


def test_hostile_name_is_printed_as_text_and_nothing_is_fetched(campaign, http_spy):
    base, hits = http_spy
    name = f'<script>alert(1)</script><img src="{base}/name.png">'
    data = pdf.letter_pdf(signed(campaign, name=name, message=f"<img src={base}/m.png>"))
    text = pdf_text(data)
    assert "<script>alert(1)</script>" in text
    assert "<img" in text
    assert hits == []


def test_the_renderer_refuses_every_url_even_in_raw_html(http_spy):
    base, hits = http_spy
    html = (
        f'<link rel="stylesheet" href="{base}/x.css"><img src="{base}/a.png">'
        f'<img src="file:///etc/passwd"><p style="background: url({base}/b.png)">x</p>'
    )
    assert pdf.render_pdf(html).startswith(b"%PDF")
    assert hits == []


# -- The download link -------------------------------------------------------------------------


def test_download_link_answers_an_attachment_that_no_proxy_keeps(client, campaign):
    signature = signed(campaign)
    response = client.get(links.letter_pdf_path(signature))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF")
    assert str(signature.pk) not in response.wsgi_request.path.split(":")[1:]


def test_download_url_carries_no_plain_id(campaign):
    signature = signed(campaign)
    path = links.letter_pdf_path(signature)
    assert path.startswith("/letters/") and path.endswith("/pdf/")
    assert f"/{signature.pk}/" not in path


def test_forged_token_is_404(client, campaign):
    signature = signed(campaign)
    token = links.letter_pdf_token(signature)
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    assert client.get(reverse("letters:letter_pdf", args=[forged])).status_code == 404
    other_salt = signing.dumps(signature.pk, salt="letters.unsubscribe")
    assert client.get(reverse("letters:letter_pdf", args=[other_salt])).status_code == 404


def test_expired_token_is_404(client, campaign):
    signature = signed(campaign)

    class Past(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - 91 * 24 * 3600)

    token = Past(salt=links.LETTER_PDF_SALT).sign_object(signature.pk)
    assert client.get(reverse("letters:letter_pdf", args=[token])).status_code == 404


def test_unconfirmed_or_erased_signature_has_no_pdf(client, campaign):
    pending = signed(campaign, confirmed_at=None)
    erased = signed(campaign, erased_at=timezone.now())
    for signature in (pending, erased):
        assert client.get(links.letter_pdf_path(signature)).status_code == 404


def test_download_refuses_post(client, campaign):
    assert client.post(links.letter_pdf_path(signed(campaign))).status_code == 405


# -- The petition ------------------------------------------------------------------------------


def test_petition_lists_only_confirmed_consenting_signers_not_erased(campaign, tmp_path):
    signed(campaign, name="Shown Consenting", consent_share_name=True)
    signed(campaign, name="Hidden Refused", consent_share_name=False)
    signed(campaign, name="Hidden Pending", consent_share_name=True, confirmed_at=None)
    signed(campaign, name="Hidden Erased", consent_share_name=True, erased_at=timezone.now())
    path = pdf.petition_pdf(campaign, out=tmp_path / "p.pdf")
    text = pdf_text(str(path))
    assert "Shown Consenting" in text
    assert "Hidden" not in text
    assert "@" not in text


def test_petition_has_the_letter_in_the_officials_language_and_the_cases(campaign, tmp_path):
    LetterTemplateFactory(campaign=campaign, language="en", body="English text {cases}")
    campaign.letter_templates.filter(language="es").update(body="Texto en español.\n\n{cases}")
    target = campaign.targets.get()
    text = pdf_text(str(pdf.petition_pdf(campaign, target, out=tmp_path / "p.pdf")))
    assert "Texto en español." in text and "English text" not in text
    assert "Regina Martínez" in text


@pytest.mark.parametrize("name", SCRIPTS)
def test_petition_keeps_every_script(campaign, tmp_path, name):
    signed(campaign, name=name, city="", consent_share_name=True)
    path = pdf.petition_pdf(campaign, out=tmp_path / "p.pdf")
    assert contains_logical(pdf_text(str(path)), name)


def test_petition_with_2000_signers_names_each_once_and_numbers_its_pages(campaign, tmp_path):
    from letters.models import Signature

    Signature.objects.bulk_create(
        Signature(
            campaign=campaign,
            name=f"Petitioner {n:04d}",
            email=f"p{n}@example.org",
            email_key=f"p{n}@example.org",
            country="MX",
            city="Oaxaca",
            consent_share_name=True,
            confirmed_at=timezone.now(),
        )
        for n in range(2000)
    )
    path = pdf.petition_pdf(campaign, out=tmp_path / "p.pdf")
    reader = PdfReader(str(path))
    texts = [page.extract_text() for page in reader.pages]
    found = re.findall(r"Petitioner\s+(\d{4})", "\n".join(texts))
    assert sorted(found) == [f"{n:04d}" for n in range(2000)]
    total = len(reader.pages)
    for number, text in enumerate(texts, start=1):
        assert f"{number} / {total}" in text


def test_petition_chunks_carry_their_last_page_and_lose_no_row(campaign, tmp_path, monkeypatch):
    """Small chunks: many joins, every list page but the last full, every row once."""
    from letters.models import Signature

    monkeypatch.setattr(pdf, "CHUNK_ROWS", 700)  # about 5 one-column pages: some carried
    Signature.objects.bulk_create(
        Signature(
            campaign=campaign,
            name=f"Petitioner {n:04d} " + ("long name " * (n % 7)),
            email=f"p{n}@example.org",
            email_key=f"p{n}@example.org",
            country="MX",
            consent_share_name=True,
            confirmed_at=timezone.now(),
        )
        for n in range(1100)
    )
    path = pdf.petition_pdf(campaign, out=tmp_path / "p.pdf")
    text = pdf_text(str(path))
    assert sorted(re.findall(r"Petitioner\s+(\d{4})", text)) == [f"{n:04d}" for n in range(1100)]


def counting_layouts(monkeypatch) -> list[str]:
    """Record each layout of a signer list (its language) and still lay it out."""
    calls = []
    lay_out = pdf.lay_out_signer_list

    def spy(campaign, language, folder, **kwargs):
        calls.append(language)
        return lay_out(campaign, language, folder, **kwargs)

    monkeypatch.setattr(pdf, "lay_out_signer_list", spy)
    return calls


def test_signer_list_is_laid_out_once_for_every_official_in_its_language(
    campaign, tmp_path, monkeypatch
):
    layouts = counting_layouts(monkeypatch)
    campaign.targets.add(
        TargetFactory(name="Second Official", language="es"),
        TargetFactory(name="Third Official", language="es"),
    )
    bulk_signers(campaign, 300)
    texts = {}
    for target in campaign.targets.order_by("pk"):
        path = pdf.petition_pdf(campaign, target, out=tmp_path / f"{target.pk}.pdf")
        reader = PdfReader(str(path))
        text = "\n".join(page.extract_text() for page in reader.pages)
        total = len(reader.pages)
        assert f"1 / {total}" in text and f"{total} / {total}" in text
        texts[target.name] = text
    assert layouts == ["es"]
    for name, text in texts.items():
        assert name in text.split("Petitioner")[0]  # the cover is addressed to this official
        found = re.findall(r"Petitioner\s+(\d{4})", text)
        assert sorted(found) == [f"{n:04d}" for n in range(300)]


def test_a_new_signer_gets_the_list_laid_out_again(campaign, tmp_path, monkeypatch):
    layouts = counting_layouts(monkeypatch)
    signed(campaign, name="First Consenting", consent_share_name=True)
    pdf.petition_pdf(campaign, out=tmp_path / "1.pdf")
    pdf.petition_pdf(campaign, out=tmp_path / "2.pdf")
    signed(campaign, name="Later Consenting", consent_share_name=True)
    text = pdf_text(str(pdf.petition_pdf(campaign, out=tmp_path / "3.pdf")))
    assert len(layouts) == 2
    assert "First Consenting" in text and "Later Consenting" in text


def test_an_erased_signer_leaves_the_next_list(campaign, tmp_path):
    shown = signed(campaign, name="Soon Erased", consent_share_name=True)
    signed(campaign, name="Staying Signer", consent_share_name=True)
    assert "Soon Erased" in pdf_text(str(pdf.petition_pdf(campaign, out=tmp_path / "1.pdf")))
    shown.erased_at = timezone.now()
    shown.save()
    text = pdf_text(str(pdf.petition_pdf(campaign, out=tmp_path / "2.pdf")))
    assert "Soon Erased" not in text and "Staying Signer" in text


def _petition_in_a_daemon(campaign_pk, out, errors):
    from campaigns.models import Campaign

    try:
        pdf.petition_pdf(Campaign.objects.get(pk=campaign_pk), out=out)
    except BaseException as error:  # reported to the parent, which fails the test
        errors.put(repr(error))
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_petition_is_made_in_a_daemon_process_as_a_celery_prefork_child(campaign, tmp_path):
    """Prefork children are daemons, which may not start processes: nothing here does."""
    bulk_signers(campaign, 50)
    connections.close_all()  # the child opens its own connection
    context = multiprocessing.get_context("fork")
    errors = context.Queue()
    child = context.Process(
        target=_petition_in_a_daemon, args=(campaign.pk, tmp_path / "p.pdf", errors), daemon=True
    )
    child.start()
    child.join(120)
    assert child.exitcode == 0 and errors.empty(), errors.get() if not errors.empty() else ""
    text = pdf_text(str(tmp_path / "p.pdf"))
    assert sorted(re.findall(r"Petitioner\s+(\d{4})", text)) == [f"{n:04d}" for n in range(50)]


# -- The coordinator's petition page -----------------------------------------------------------


def member(campaign, role=Membership.Role.COORDINATOR):
    return MembershipFactory(organisation=campaign.organisation, role=role).user


def test_coordinator_generates_the_petition_and_downloads_it_again(
    client, campaign, settings, django_capture_on_commit_callbacks
):
    settings.PRIVATE_FILES_ROOT = (
        settings.PRIVATE_FILES_ROOT / "test-petitions" / str(time.time_ns())
    )
    signed(campaign, name="Ana Consenting", consent_share_name=True)
    client.force_login(member(campaign))
    url = reverse("letters:dashboard:petition_pdf", args=[campaign.slug])
    page = client.get(url)
    assert page.status_code == 200 and b"Generate the petition PDF" in page.content
    with django_capture_on_commit_callbacks(execute=True):  # the task runs inline, after commit
        asked = client.post(url)
    assert asked.status_code == 302
    response = client.get(asked["Location"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    data = b"".join(response.streaming_content)
    assert "Ana Consenting" in pdf_text(data)
    again = client.get(url + "?download=1")
    assert again.status_code == 200 and b"".join(again.streaming_content) == data


def test_viewers_and_other_organisations_get_404(client, campaign):
    url = reverse("letters:dashboard:petition_pdf", args=[campaign.slug])
    client.force_login(member(campaign, Membership.Role.VIEWER))
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    client.force_login(MembershipFactory().user)
    assert client.post(url).status_code == 404


def test_petition_page_needs_sign_in(client, campaign):
    url = reverse("letters:dashboard:petition_pdf", args=[campaign.slug])
    assert client.post(url).status_code == 302


def test_petitions_are_written_outside_the_served_media_folder(campaign, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    signed(campaign, name="Ana Consenting", consent_share_name=True)
    path = pdf.petition_pdf(campaign)
    assert path.is_relative_to(settings.PRIVATE_FILES_ROOT)
    assert not path.is_relative_to(settings.MEDIA_ROOT)


# -- Made by a worker, whatever the number of signers ------------------------------------------


@pytest.fixture
def petition_url(client, campaign):
    """The coordinator is signed in; no petition is pending (the marker lives in Redis, which
    outlives the test database's rollback)."""
    key = tasks.petition_pending_key(campaign.pk)
    cache.delete(key)
    client.force_login(member(campaign))
    yield reverse("letters:dashboard:petition_pdf", args=[campaign.slug])
    cache.delete(key)


class BusyWorker:
    """Stands for generate_petition_pdf while the worker has not started it yet."""

    def __init__(self):
        self.queued = []

    def delay(self, campaign_id):
        self.queued.append(campaign_id)


def check_again_link(response) -> str:
    content = response.content.decode()
    return html.unescape(re.search(r'href="([^"]*download=1&amp;since=\d+)"', content).group(1))


def downloaded(response) -> bytes:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    return b"".join(response.streaming_content)


def test_while_the_worker_makes_it_the_page_says_the_petition_is_being_prepared(
    client, campaign, petition_url, monkeypatch, django_capture_on_commit_callbacks
):
    signed(campaign, name="Ana Consenting", consent_share_name=True)
    worker = BusyWorker()
    monkeypatch.setattr(tasks, "generate_petition_pdf", worker)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.get(petition_url + "?download=1")
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(petition_url, follow=True)
    assert worker.queued == [campaign.pk]  # at most one pending per campaign
    for response in (first, second):
        assert response.status_code == 202
        assert "no-store" in response["Cache-Control"]
        content = response.content.decode()
        assert '<div role="status"' in content and "The petition PDF is being prepared." in content
        assert "Check again" in content
    page = client.get(petition_url)
    assert "The petition PDF is being prepared." in page.content.decode()
    assert "Generate the petition PDF" not in page.content.decode()

    generate_petition_pdf(campaign.pk)  # the worker gets to it
    data = downloaded(client.get(check_again_link(second)))
    assert "Ana Consenting" in pdf_text(data)


def test_petition_of_more_than_5000_signers_is_downloadable_once_the_task_ran(
    client, campaign, petition_url, django_capture_on_commit_callbacks
):
    bulk_signers(campaign, 5001)
    # The request only asks; the task runs after it (after commit, inline here).
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.get(petition_url + "?download=1")
    assert asked.status_code == 202
    data = downloaded(client.get(check_again_link(asked)))
    found = re.findall(r"Petitioner\s+(\d{4})", pdf_text(data))
    assert sorted(found) == [f"{n:04d}" for n in range(5001)]


def test_a_petition_made_before_a_new_signature_is_made_again(
    client, campaign, petition_url, django_capture_on_commit_callbacks
):
    signed(campaign, name="Ana Consenting", consent_share_name=True)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(petition_url)
    signed(campaign, name="Ben Later", consent_share_name=True)
    with django_capture_on_commit_callbacks() as callbacks:
        stale = client.get(petition_url + "?download=1")
    assert stale.status_code == 202
    assert "Earlier file" in stale.content.decode()
    assert client.get(check_again_link(stale)).status_code == 202  # not the earlier file
    earlier = re.search(r'href="([^"]+)">Download this earlier', stale.content.decode()).group(1)
    text = pdf_text(downloaded(client.get(html.unescape(earlier))))
    assert "Ana Consenting" in text and "Ben Later" not in text
    for callback in callbacks:
        callback()
    text = pdf_text(downloaded(client.get(check_again_link(stale))))
    assert "Ana Consenting" in text and "Ben Later" in text


def test_only_the_campaigns_coordinators_download_the_petition(
    client, campaign, petition_url, django_capture_on_commit_callbacks
):
    signed(campaign, name="Ana Consenting", consent_share_name=True)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(petition_url)
    downloaded(client.get(petition_url + "?download=1"))
    client.force_login(member(campaign, Membership.Role.VIEWER))
    assert client.get(petition_url + "?download=1").status_code == 404
    client.force_login(MembershipFactory().user)
    assert client.get(petition_url + "?download=1").status_code == 404
    assert client.get(petition_url).status_code == 404


# -- Issue 15: the coordinator's loop ----------------------------------------------------------


def test_petition_counts_every_signer_and_how_many_show_their_name(campaign, tmp_path):
    signed(campaign, name="Shown One", consent_share_name=True)
    signed(campaign, name="Shown Two", consent_share_name=True)
    signed(campaign, name="Not Shown", consent_share_name=False)
    LetterTemplateFactory(campaign=campaign, language="en")

    text = pdf_text(str(pdf.petition_pdf(campaign, out=tmp_path / "p.pdf")))

    assert "Signed by 3 people, of whom 2 agreed to show their name" in " ".join(text.split())
    assert "Not Shown" not in text


def test_laying_out_the_signer_list_records_its_progress(campaign, monkeypatch):
    monkeypatch.setattr(pdf, "PROGRESS_ROWS", 10)
    bulk_signers(campaign, 30)

    pdf.signer_list(campaign, "es")

    assert pdf.petition_progress(campaign) == {"done": 30, "total": 30}


def test_petition_page_shows_the_progress_while_the_pdf_is_made(client, campaign):
    from django.core.cache import cache

    from letters.delivery.tasks import petition_pending_key

    client.force_login(member(campaign))
    cache.set(petition_pending_key(campaign.pk), timezone.now().timestamp(), 60)
    cache.set(pdf.progress_key(campaign.pk), (4000, 10000), 60)
    try:
        html = client.get(reverse("letters:dashboard:petition_pdf", args=[campaign.slug]))
    finally:
        cache.delete_many([petition_pending_key(campaign.pk), pdf.progress_key(campaign.pk)])

    text = html.content.decode()
    assert "The petition PDF is being prepared." in text
    assert "4,000 of 10,000 signers laid out" in text
    assert '<progress class="w-100" max="10000" value="4000"' in text
    assert "js/petition.js" in text


def test_the_campaign_dashboard_links_to_the_petition_for_coordinators_only(client, campaign):
    campaign.status = "published"
    campaign.save()
    url = f"/dashboard/campaigns/{campaign.slug}/"
    link = f'href="{url}signatures/petition.pdf"'

    client.force_login(member(campaign))
    assert link in client.get(url).content.decode()
    client.force_login(member(campaign, Membership.Role.VIEWER))
    assert link not in client.get(url).content.decode()


@pytest.mark.needs_font("ru")
def test_russian_letter_is_laid_out_in_noto_with_a_russian_date(campaign):
    from django.utils import dateformat
    from django.utils.translation import override

    campaign.letter_templates.update(language="ru", subject="Тема", body="Уважаемый {target_name}!")
    campaign.targets.update(language="ru")
    data = pdf.letter_pdf(signed(campaign, name=CYRILLIC, city="Москва", country="RU"))
    text = pdf_text(data)
    assert CYRILLIC in text and "Москва" in text
    with override("ru"):
        month = dateformat.format(timezone.localdate(), "E")  # the month, as a date says it
    assert month in text and any("а" <= letter <= "я" for letter in month)
    fonts = {font.replace("-", "") for font in font_names(data)}
    assert any("NotoSans" in font for font in fonts) and not any("DejaVu" in f for f in fonts)


@pytest.mark.needs_font("zh")
def test_chinese_letter_is_laid_out_in_noto_cjk_with_a_chinese_date(campaign):
    campaign.letter_templates.update(
        language="zh-hans", subject="主题", body="尊敬的{target_name}："
    )
    campaign.targets.update(language="zh-hans")
    data = pdf.letter_pdf(signed(campaign, name=CHINESE, city="上海", country="CN"))
    text = re.sub(r"\s+", "", pdf_text(data))
    today = timezone.localdate()
    assert f"{today.year}年{today.month}月{today.day}日" in text
    assert CHINESE in text and "尊敬的" in text
    assert any("CJK" in font for font in font_names(data))


def word_boxes(path, page_number: int) -> list[tuple[float, float, str]]:
    """(xMin, xMax, word) of each word on a page, from poppler's pdftotext -bbox."""
    import subprocess

    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page_number), "-l", str(page_number), str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    words = re.findall(
        r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)</word>', out
    )
    return [(float(left), float(right), word) for left, right, word in words]


def words_with_y(path, page_number: int) -> list[tuple[float, float, str, float]]:
    """(xMin, xMax, word, yMax) of each word on a page but the page number at its foot."""
    import subprocess

    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page_number), "-l", str(page_number), str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.findall(
        r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', out
    )
    words = [(float(a), float(b), word, float(y)) for a, b, y, word in found]
    foot = max(y for *_, y in words)
    return [w for w in words if w[3] < foot]  # the last line is "2 / 6"


@pytest.mark.parametrize("language", ["es", "ar"])
def test_the_signer_list_fills_the_page_width(campaign, tmp_path, language, artifacts_dir):
    """Two columns from margin to margin (15 mm each side of A4): no half-empty page."""
    import shutil
    import subprocess

    campaign.targets.update(language=language)
    if not campaign.letter_templates.filter(language=language).exists():
        LetterTemplateFactory(campaign=campaign, language=language)
    bulk_signers(campaign, 700, city="Ciudad de México")
    path = pdf.petition_pdf(campaign, campaign.targets.get(), out=tmp_path / "p.pdf")
    reader = PdfReader(str(path))
    pages = [n for n, page in enumerate(reader.pages, 1) if "Petitioner" in page.extract_text()]
    assert len(pages) >= 2
    first_full = pages[0]  # a full page: 700 signers fill more than one
    width = float(reader.pages[first_full - 1].mediabox.width)
    words = [w for w in word_boxes(path, first_full) if w[2] != ""]
    names_left = min(left for left, _, word in words)
    names_right = max(right for _, right, word in words)
    margin = 15 / 25.4 * 72
    assert names_left < margin + 6, f"the list starts {names_left:.0f} pt from the left edge"
    assert names_right > width - margin - 12, f"the list ends {width - names_right:.0f} pt short"
    # And down to the foot of the page, but for less than a paragraph (pdf.GROUP_ROWS signers,
    # about 7 pt of column height each).
    height = float(reader.pages[first_full - 1].mediabox.height)
    names_bottom = max(bottom for _, _, word, bottom in words_with_y(path, first_full))
    short = 7 * pdf.GROUP_ROWS
    assert names_bottom > height - 20 / 25.4 * 72 - short, (
        f"the list ends {names_bottom:.0f} pt down"
    )
    # Both columns are used: words left of the middle and right of it, on most lines.
    middle = width / 2
    assert sum(right < middle for _, right, _ in words) > 100
    assert sum(left > middle for left, _, _ in words) > 100
    if shutil.which("pdftoppm"):  # a picture of the page to look at
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                "-f",
                str(first_full),
                "-l",
                str(first_full),
                str(path),
                str(artifacts_dir / f"petition-signers-{language}"),
            ],
            check=True,
        )
