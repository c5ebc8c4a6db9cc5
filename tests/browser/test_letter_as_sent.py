"""The letter people sign is the letter that is sent, read back from a real SMTP server.

A campaign writes to an official who reads Spanish; the signer reads English on a phone. For a
signer who shares their name and one who does not, the campaign page's letter (with the words
in brackets filled in), the confirm page's letter, the e-mail the official receives, the
signer's copy and the signer's PDF (read back with pdftotext) hold the same text.
"""

import re
import shutil
import subprocess

import pytest
from django.core.cache import cache

from campaigns.models import Campaign
from tests.conftest import require
from tests.factories import CampaignFactory, CaseFactory, TargetFactory
from tests.letters.factories import LetterTemplateFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {
    "viewport": {"width": 375, "height": 740},
    "locale": "en-GB",
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
READING_MS = 3200  # the form refuses what comes faster (letters.signing.abuse)
OFFICIAL = "fiscal@gov.example.org"
MESSAGE = "Mi hermano era periodista.\nNo olviden a Regina."


@pytest.fixture
def browser_context_args():
    return PHONE


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def campaign():
    campaign = CampaignFactory(
        title="Justice for Regina",
        slug="justice-for-regina",
        status=Campaign.Status.PUBLISHED,
        delivery_mode=Campaign.DeliveryMode.EACH,
    )
    campaign.cases.add(CaseFactory(full_name="Regina Martínez", country="MX", place="Xalapa"))
    campaign.targets.add(
        TargetFactory(
            name="Ana Fiscal",
            position="Special Prosecutor",
            position_translations={"es": "Fiscal Especial"},
            language="es",
            email=OFFICIAL,
        )
    )
    LetterTemplateFactory(
        campaign=campaign,
        language="es",
        subject="Reabran el caso de {case_names}",
        body="Estimada {target_name}, {target_position}:\n\nLe pedimos justicia por:\n"
        "{cases}\n\nAtentamente,\n{signer_name}\n{signer_city} {signer_country}",
    )
    LetterTemplateFactory(
        campaign=campaign,
        language="en",
        subject="Reopen the case of {case_names}",
        body="Dear {target_name}, {target_position}:\n\nWe ask for justice for:\n"
        "{cases}\n\nYours sincerely,\n{signer_name}\n{signer_city} {signer_country}",
    )
    return campaign


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def plain(mail) -> str:
    """The text part, with the line ends SMTP carried turned back into newlines."""
    return mail.get_body(("plain",)).get_content().replace("\r\n", "\n")


def official_letter(mail) -> str:
    """The letter in the official's e-mail: its plain text before the signature line."""
    return plain(mail).split("\n\n--\n", 1)[0].strip()


def pdf_text(path) -> str:
    require(shutil.which("pdftotext"), "needs pdftotext (apt-get install poppler-utils)")
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def sign_and_confirm(page, smtp_server, campaign, *, name, email, share_name):
    """Sign on the campaign page and open the confirm page; the letter shown before signing."""
    page.goto(campaign.get_absolute_url())
    letter = page.locator(".letter-shown").first
    assert "Sent in Spanish to Ana Fiscal, Special Prosecutor" in letter.inner_text()

    page.get_by_label("Your name").fill(name)
    page.get_by_label("Your e-mail address").fill(email)
    page.get_by_label("Your country").select_option("MX")
    page.get_by_label("Your city (optional)").fill("Puebla")
    page.get_by_label("A personal message to the officials (optional)").fill(MESSAGE)
    if share_name:
        page.get_by_label("Share my name with the officials who receive the letter.").check()
    shown = letter.locator("[data-letter-variant]:visible .letter-sent .letter-text")
    preview = shown.inner_text()
    page.wait_for_timeout(READING_MS)
    page.get_by_role("button", name="Sign the letter").click()
    page.get_by_role("heading", name="Check your e-mail").wait_for()

    [confirmation] = smtp_server.wait_for(1)
    link = re.search(r"http\S+/signatures/confirm/\S+/", plain(confirmation)).group(0)
    page.goto(link)
    assert page.get_by_role("heading", name="Confirm your signature").is_visible()
    return preview


@pytest.mark.parametrize("share_name", [True, False], ids=["named", "anonymous"])
def test_the_letter_shown_is_the_letter_the_official_receives(
    page, live_server, smtp_server, settings, campaign, artifacts_dir, share_name
):
    settings.SITE_URL = live_server.url
    name, email = "Lucía Hernández", "lucia@example.org"
    preview = sign_and_confirm(
        page, smtp_server, campaign, name=name, email=email, share_name=share_name
    )

    # The confirm page (no script needed) shows the final letter, signed as the box says.
    confirm_letter = page.locator(".letter-shown .letter-sent").first
    shown_text = confirm_letter.locator(".letter-text").inner_text()
    shown_subject = confirm_letter.locator(".letter-subject-text").inner_text()
    translation = page.locator(".letter-shown .letter-translation .letter-text").first.inner_text()
    page.screenshot(
        path=str(artifacts_dir / f"letter-as-sent-confirm-{share_name}-phone.png"), full_page=True
    )
    page.get_by_role("button", name="Confirm my signature").click()
    page.get_by_role("heading", name="Thank you: your signature counts").wait_for()

    mails = smtp_server.wait_for(3)
    [to_official] = [mail for mail in mails if mail["To"] == OFFICIAL]
    [copy] = [mail for mail in mails if mail["Subject"].startswith("Your letter:")]
    sent = official_letter(to_official)

    assert shown_text.strip() == sent
    assert to_official["Subject"] == shown_subject == "Reabran el caso de Regina Martínez"
    assert "Fiscal Especial" in sent and "Special Prosecutor" not in sent
    # The personal message closes the letter, introduced in the official's language.
    assert sent.endswith("Mensaje personal del firmante:\n" + MESSAGE)
    if share_name:
        assert "Lucía Hernández\nPuebla México" in sent
        # The official's own reply address (issue 16), then the signer's, who agreed to share.
        reply_to = [address.strip() for address in to_official["Reply-To"].split(",")]
        assert reply_to[0].startswith("reply+") and reply_to[1:] == [email]
        # The campaign page showed the same letter, with the signer's words in brackets.
        filled = (
            preview.replace("[your name]", name)
            .replace("[your city]", "Puebla")
            .replace("[your country]", "México")
        )
    else:
        assert name not in sent and "Puebla" not in sent and email not in plain(to_official)
        assert "Un simpatizante de México" in sent
        # Only the official's own reply address: never the signer's.
        assert to_official["Reply-To"].startswith("reply+") and email not in to_official["Reply-To"]
        filled = preview.replace("[your country]", "México")
    assert filled.strip() == sent

    # The signer's copy holds the letter as sent, and its English text for the signer.
    copy_text = plain(copy)
    assert sent in copy_text
    assert "Sent in Spanish, as follows." in copy_text
    assert translation.strip() in copy_text
    assert "We ask for justice for:" in translation

    # The PDF from the thank-you page prints the same letter, then the translation.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download your letter (PDF)").click()
    printed = pdf_text(download.value.path())
    assert squeeze(sent) in squeeze(printed)
    assert squeeze(translation) in squeeze(printed)
    assert (name in printed) is share_name


def test_the_letter_follows_the_consent_box_as_it_is_ticked(page, campaign):
    page.goto(campaign.get_absolute_url())
    letter = page.locator(".letter-shown").first
    visible = letter.locator("[data-letter-variant]:visible .letter-sent .letter-text")
    assert "Un simpatizante de [your country]" in visible.inner_text()

    box = page.get_by_label("Share my name with the officials who receive the letter.")
    box.check()
    assert "[your name]" in visible.inner_text()
    assert "simpatizante" not in visible.inner_text()
    box.uncheck()
    assert "Un simpatizante de [your country]" in visible.inner_text()

    page.get_by_label("A personal message to the officials (optional)").fill("¡Justicia ya!")
    assert visible.inner_text().endswith("Mensaje personal del firmante:\n¡Justicia ya!")
