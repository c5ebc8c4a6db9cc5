"""PDFs: the signer's letter (download by signed link) and the campaign's petition."""

import http.server
import io
import re
import threading
import time

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from campaigns.models import Membership
from letters.delivery import links, pdf
from letters.models import Letter
from tests.factories import CaseFactory, MembershipFactory, TargetFactory
from tests.letters.factories import LetterTemplateFactory, SignatureFactory

pytestmark = pytest.mark.django_db

ARABIC = "محمد عبد الله"
CYRILLIC = "Анна Политковская"
CHINESE = "王小明"
ACCENTED = "José Ñúñez Çelik-Øster"


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
    return SignatureFactory(campaign=campaign, **fields)


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


@pytest.mark.parametrize("name", [ARABIC, CYRILLIC, CHINESE, ACCENTED])
def test_letter_pdf_keeps_every_script(campaign, name):
    data = pdf.letter_pdf(signed(campaign, name=name, city=""))
    assert contains_logical(pdf_text(data), name)


def test_arabic_letter_is_laid_out_with_a_noto_arabic_font(campaign):
    campaign.letter_templates.update(language="ar")
    campaign.targets.update(language="ar")
    data = pdf.letter_pdf(signed(campaign, name=ARABIC, city="القاهرة", country="EG"))
    fonts = {font.replace("-", "") for font in font_names(data)}
    assert any("NotoNaskhArabic" in font or "NotoSansArabic" in font for font in fonts)
    assert contains_logical(pdf_text(data), ARABIC)


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


@pytest.mark.parametrize("name", [ARABIC, CYRILLIC, CHINESE, ACCENTED])
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

    monkeypatch.setattr(pdf, "CHUNK_ROWS", 250)
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


@pytest.mark.django_db(transaction=True)
def test_petition_in_two_processes_matches_one(campaign, tmp_path, monkeypatch):
    from letters.models import Signature

    monkeypatch.setattr(pdf, "CHUNK_ROWS", 200)
    Signature.objects.bulk_create(
        Signature(
            campaign=campaign,
            name=f"Petitioner {n:04d}",
            email=f"p{n}@example.org",
            email_key=f"p{n}@example.org",
            country="FR",
            consent_share_name=True,
            confirmed_at=timezone.now(),
        )
        for n in range(700)
    )
    one = pdf_text(str(pdf.petition_pdf(campaign, out=tmp_path / "1.pdf", workers=1)))
    two = pdf_text(str(pdf.petition_pdf(campaign, out=tmp_path / "2.pdf", workers=2)))
    expected = [f"{n:04d}" for n in range(700)]
    assert sorted(re.findall(r"Petitioner\s+(\d{4})", one)) == expected
    assert sorted(re.findall(r"Petitioner\s+(\d{4})", two)) == expected


# -- The coordinator's petition page -----------------------------------------------------------


def member(campaign, role=Membership.Role.COORDINATOR):
    return MembershipFactory(organisation=campaign.organisation, role=role).user


def test_coordinator_generates_the_petition_and_downloads_it_again(client, campaign, settings):
    settings.PRIVATE_FILES_ROOT = (
        settings.PRIVATE_FILES_ROOT / "test-petitions" / str(time.time_ns())
    )
    signed(campaign, name="Ana Consenting", consent_share_name=True)
    client.force_login(member(campaign))
    url = reverse("letters:dashboard:petition_pdf", args=[campaign.slug])
    page = client.get(url)
    assert page.status_code == 200 and b"Generate the petition PDF" in page.content
    response = client.post(url)
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
