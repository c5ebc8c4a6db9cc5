"""Six UN languages: complete catalogues, right plural forms, no English left on a public page.

The catalogue checks read locale/*/LC_MESSAGES/django.po with polib. A message counts as known
when any catalogue has it (makemessages writes the same messages into each), so a catalogue
that was not refreshed after a change shows up here with the messages it lacks.
"""

import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django.utils.translation import ngettext, to_locale

from cases.models import Case

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != "en"]
COUNTS = [0, 1, 2, 3, 5, 11, 21, 100]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%[sdr]|\{\w*\}")


@cache
def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE_DIR / to_locale(language) / "LC_MESSAGES" / "django.po"))


@cache
def known_messages() -> dict[tuple[str | None, str], polib.POEntry]:
    """The messages of the catalogue extracted last (POT-Creation-Date), by (context, msgid):
    makemessages writes the source's current messages into each catalogue it refreshes."""
    newest = max(TRANSLATED, key=lambda code: catalogue(code).metadata["POT-Creation-Date"])
    return {(e.msgctxt, e.msgid): e for e in catalogue(newest) if not e.obsolete}


# -- Catalogues --------------------------------------------------------------------------------


def test_every_language_of_the_site_has_a_catalogue():
    for language in TRANSLATED:
        assert catalogue(language).percent_translated() > 0, language


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalogue_has_every_message_translated_and_none_fuzzy(language):
    po = catalogue(language)
    entries = {(e.msgctxt, e.msgid): e for e in po if not e.obsolete}
    problems = []
    for key, reference in sorted(known_messages().items(), key=lambda item: item[0][1]):
        entry = entries.get(key)
        if entry is None:
            problems.append(f"missing:      {reference.msgid!r}")
        elif "fuzzy" in entry.flags:
            problems.append(f"fuzzy:        {entry.msgid!r}")
        elif not entry.translated():
            problems.append(f"untranslated: {entry.msgid!r}")
    assert not problems, (
        f"{len(problems)} message(s) of locale/{to_locale(language)} need a translation "
        "(makemessages, translate, compilemessages):\n" + "\n".join(problems)
    )


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders_of_their_message(language):
    problems = []
    for entry in catalogue(language).translated_entries():
        if entry.msgid_plural:
            wanted = sorted(PLACEHOLDER.findall(entry.msgid_plural))
            forms = entry.msgstr_plural.values()
        else:
            wanted = sorted(PLACEHOLDER.findall(entry.msgid))
            forms = [entry.msgstr]
        for form in forms:
            got = sorted(PLACEHOLDER.findall(form))
            # A singular form may spell "one" out instead of a count placeholder.
            if got != wanted and got != sorted(PLACEHOLDER.findall(entry.msgid)):
                problems.append(f"{entry.msgid!r}: {form!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "language, plural_forms",
    [("ar", 6), ("ru", 3), ("zh-hans", 1), ("fr", 2), ("es", 2)],
)
def test_catalogue_header_declares_the_languages_plural_forms(language, plural_forms):
    header = catalogue(language).metadata["Plural-Forms"]
    assert f"nplurals={plural_forms};" in header.replace(" ", "")


# -- Plural forms as rendered ------------------------------------------------------------------


# Which plural form each count takes: Arabic zero, one, two, few (3-10), many (11-99),
# other (100...); Russian one (1, 21...), few (2-4, 22-24...), many (0, 5-20, 100...).
EXPECTED_FORMS = {
    "ar": [0, 1, 2, 3, 3, 4, 4, 5],
    "ru": [2, 0, 1, 1, 2, 2, 0, 2],
    "zh-hans": [0, 0, 0, 0, 0, 0, 0, 0],
}


@pytest.mark.parametrize("language", EXPECTED_FORMS)
def test_counts_take_the_plural_form_the_languages_rules_give(language):
    entry = catalogue(language).find("%(count)s case")
    expected = [
        entry.msgstr_plural[index] % {"count": n}
        for n, index in zip(COUNTS, EXPECTED_FORMS[language], strict=True)
    ]
    with translation.override(language):
        rendered = [ngettext("%(count)s case", "%(count)s cases", n) % {"count": n} for n in COUNTS]
    assert rendered == expected
    assert len(set(EXPECTED_FORMS[language])) == len(entry.msgstr_plural)


def test_russian_counts_read_as_russian_grammar_wants():
    with translation.override("ru"):
        words = {n: ngettext("%(count)s case", "%(count)s cases", n) % {"count": n} for n in COUNTS}
    assert words == {
        0: "0 дел", 1: "1 дело", 2: "2 дела", 3: "3 дела",
        5: "5 дел", 11: "11 дел", 21: "21 дело", 100: "100 дел",
    }  # fmt: skip


def test_arabic_plural_forms_differ_where_the_grammar_does():
    with translation.override("ar"):
        words = {
            n: ngettext("%(count)s case", "%(count)s cases", n).replace("%(count)s", "#")
            for n in COUNTS
        }
    # The dual (2), the plural of 3-10 and the accusative singular of 11-99 each have a word
    # of their own; 0, 1 and 100 take the plain singular.
    assert len({words[2], words[3], words[11], words[1]}) == 4
    assert words[3] == words[5] and words[11] == words[21]


# -- Public pages ------------------------------------------------------------------------------


class VisibleText(HTMLParser):
    """The text a reader sees or hears in the page's language: text nodes and the attributes
    read out or shown. Text marked with another `lang` (a language's own name in the switcher,
    text an editor wrote in English) is not in the page's language, so it is left out."""

    READ_OUT = {"title", "alt", "aria-label", "placeholder"}
    META = {"description", "og:title", "og:description", "twitter:title", "twitter:description"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}

    def __init__(self, language: str):
        super().__init__()
        self.language = language
        self.nodes: list[str] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, hidden)

    @property
    def _hidden(self) -> bool:
        return bool(self._stack) and self._stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = attrs.get("lang")
        hidden = (
            self._hidden
            or tag in ("script", "style", "template")
            or (lang is not None and tag != "html" and lang.lower() != self.language.lower())
        )
        if not hidden:
            for name in self.READ_OUT:
                if attrs.get(name):
                    self.nodes.append(attrs[name])
            if tag == "meta" and (attrs.get("name") or attrs.get("property")) in self.META:
                self.nodes.append(attrs.get("content") or "")
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.nodes.append(attrs["value"])
        if tag not in self.VOID:
            self._stack.append((tag, hidden))

    def handle_endtag(self, tag):
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                del self._stack[index:]
                break

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.nodes.append(data)


def squeeze(text: str) -> str:
    return " ".join(text.split())


def untranslated_on_page(html: str, language: str) -> list[str]:
    """Catalogue messages the page shows in English although `language` should translate them."""
    parser = VisibleText(language)
    parser.feed(html)
    nodes = {squeeze(node) for node in parser.nodes}
    page = " | ".join(sorted(nodes))
    own = {(e.msgctxt, e.msgid): e for e in catalogue(language) if not e.obsolete}
    found = []
    for key, entry in known_messages().items():
        msgid = squeeze(entry.msgid.replace("%%", "%"))
        mine = own.get(key)
        if mine is not None and mine.translated() and squeeze(mine.msgstr) == msgid:
            continue  # the same in this language ("CSV", "URL")
        fragments = [squeeze(f) for f in PLACEHOLDER.split(msgid)]
        longest = max(fragments, key=len)
        if len(msgid.split()) < 3 and not PLACEHOLDER.search(msgid):
            # A label of a word or two ("Unknown", "Military officials"): a whole text node,
            # so that a name or an English sentence written by an editor does not count.
            if msgid in nodes:
                found.append(entry.msgid)
        elif len(longest) >= 16 and longest in page:
            found.append(entry.msgid)
    return sorted(found)


@pytest.fixture
def demo(db):
    call_command("seed_demo", verbosity=0)
    case = Case.objects.published().filter(country="MX").first()
    return {"case": case}


def public_pages(demo) -> list[str]:
    case = demo["case"]
    slug = "justice-for-journalists-in-mexico"
    return [
        reverse("home"),
        reverse("cases:list"),
        reverse("cases:list") + "?perpetrator=unknown",
        reverse("cases:statistics"),
        reverse("cases:country", args=["mx"]),
        case.get_absolute_url(),
        reverse("campaigns:list"),
        reverse("campaigns:detail", args=[slug]),
        reverse("letters:thanks", args=[slug]),
        reverse("letters:reminders:subscribe"),
        reverse("letters:data_request"),
        reverse("letters:erasure_request"),
        reverse("privacy"),
        reverse("login"),
        reverse("password_reset"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("language", TRANSLATED)
def test_public_pages_show_no_catalogue_message_in_english(client, demo, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    problems = []
    for url in public_pages(demo):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert f'lang="{language}"' in html, url
        problems += [f"{url}: {msgid!r}" for msgid in untranslated_on_page(html, language)]
    assert not problems, (
        f"{len(problems)} message(s) shown in English on {language} pages:\n" + "\n".join(problems)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("language", TRANSLATED)
def test_the_thank_you_pages_reminder_offer_is_in_the_readers_language(client, language):
    from tests.letters.factories import pending_signature

    signature, token = pending_signature()
    client.post(reverse("letters:confirm", args=[token]))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = client.get(reverse("letters:thanks", args=[signature.campaign.slug])).content.decode()
    with translation.override(language):
        offer = translation.gettext("Remind me by e-mail before 2 November.")
    assert offer != "Remind me by e-mail before 2 November."
    assert offer in html
    assert "Remind me by e-mail" not in html


@pytest.mark.django_db
def test_the_detector_finds_an_english_label_on_a_translated_page():
    html = '<html lang="ru"><body><td>Military officials</td><p>Почти девять</p></body></html>'
    assert untranslated_on_page(html, "ru") == ["Military officials"]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ru", "zh-hans", "ar"])
def test_country_lists_are_sorted_in_the_readers_language(client, language):
    from django_countries import countries

    from idei.collation import sort_key

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = client.get(reverse("letters:reminders:subscribe")).content.decode()
    select = html.split('name="country"', 1)[1].split("</select>", 1)[0]
    names = re.findall(r"<option value=\"[A-Z]{2}\"[^>]*>([^<]+)</option>", select)
    assert len(names) > 200
    assert names == sorted(names, key=sort_key)
    with translation.override(language):
        # Not English order: the names are translated, and a translated name leads.
        assert names[0] != "Afghanistan"
        assert str(countries.name("AF")) in names


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ru", "zh-hans", "ar", "fr"])
def test_country_filters_of_the_case_and_campaign_lists_are_collated(client, demo, language):
    from idei.collation import sort_key

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for url in (reverse("cases:list"), reverse("campaigns:list")):
        html = client.get(url).content.decode()
        select = html.split('name="country"', 1)[1].split("</select>", 1)[0]
        names = re.findall(r"<option value=\"[A-Z]{2}\"[^>]*>([^<]+)</option>", select)
        assert names, url
        assert names == sorted(names, key=sort_key), url


# -- E-mails -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ru", "zh-hans", "ar"])
def test_the_signers_e_mails_are_in_their_language(
    client, language, django_capture_on_commit_callbacks
):
    """The confirmation request and the signer's copy: subject, text and HTML parts.

    The official reads the signer's language too: a letter sent in another language is quoted
    as sent, which is the letter's business (the signer's copy shows it as the official gets it).
    """
    from idei.outbox.models import OutgoingMessage
    from tests.letters.factories import confirmation_token, open_campaign, sign_data

    campaign = open_campaign()
    campaign.letter_templates.update(language=language)
    campaign.targets.update(language=language)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("letters:sign", args=[campaign.slug]), sign_data(client))
    request = OutgoingMessage.objects.get(kind="confirmation")
    token = confirmation_token(request.body_text)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("letters:confirm", args=[token]))
    with translation.override(language):
        confirm_button = translation.gettext("Confirm my signature")
        next_steps = translation.gettext("What happens next")
    copy = OutgoingMessage.objects.get(kind="signer_copy")
    assert confirm_button in request.body_html
    assert next_steps in copy.body_html
    for message in (request, copy):
        for part in (message.subject, message.body_text, message.body_html):
            assert not untranslated_on_page(part, language), (message.kind, part[:300])
