"""Fuzzing the dashboard's campaign form (create and edit) with hostile strings (tests/hostile.py).

A coordinator's account can be stolen, and a coordinator can paste anything: whatever the form
receives, never a server error, never markup on the dashboard or on the public campaign page, and
a refused form is shown again with what was typed.
"""

import itertools

import pytest
from django.core.cache import cache
from hypothesis import event, example, given
from hypothesis import strategies as st

from campaigns.forms import HTML_TAG
from campaigns.models import Campaign, Membership
from tests.factories import CampaignFactory, CaseFactory, MembershipFactory, TargetFactory
from tests.hostile import (
    ACCEPTABLE_PAYLOADS,
    acceptable_text,
    assert_no_injected_markup,
    field_values,
    hostile_text,
    post_form,
    printable_text,
    shown_as_typed,
)
from tests.letters.factories import LetterTemplateFactory

pytestmark = pytest.mark.django_db

unique = itertools.count()

# Markdown an attacker would try in the campaign's body: links and images to script URLs,
# raw HTML (refused by the form), reference links, autolinks.
MARKDOWN_PAYLOADS = [
    "[fuzz](javascript:alert(1))",
    "![fuzz](javascript:alert(1))",
    "[fuzz](jav&#x09;ascript:alert(1))",
    "[fuzz][1]\n\n[1]: javascript:alert(1)",
    "<javascript:alert(1)>",
    '[fuzz](https://example.org "title\\" onmouseover=\\"alert(1)")',
    "**<fuzz-el>**",
    "`<fuzz-el data-fuzz>`",
    "    <fuzz-el data-fuzz>",
]
markdown_text = st.one_of(
    st.sampled_from(MARKDOWN_PAYLOADS),
    st.lists(st.one_of(st.sampled_from(MARKDOWN_PAYLOADS), acceptable_text), max_size=4).map(
        "\n\n".join
    ),
)
# Hostile text the plain-text fields accept (they refuse tags): quotes, breakouts, entities.
plain_text = st.one_of(
    st.sampled_from([p for p in ACCEPTABLE_PAYLOADS if not HTML_TAG.search(p)]), printable_text
)
# The fields a coordinator types; the others are chosen from lists (or are numbers and dates).
TEXT_FIELDS = ("title", "summary", "body", "image_credit", "thank_you_text", "share_text")


@pytest.fixture
def coordinator(client):
    membership = MembershipFactory(role=Membership.Role.COORDINATOR)
    client.force_login(membership.user)
    return membership


def campaign_data(organisation, **overrides) -> dict:
    data = {
        "organisation": organisation.pk,
        "title": "Justice for Lucía",
        "slug": "",
        "summary": "Reopen the investigation.",
        "body": "**Lucía** was killed in 2017.",
        "image_credit": "",
        "goal": "500",
        "opens_at": "",
        "closes_at": "",
        "delivery_mode": "each",
        "thank_you_text": "Thank you.",
        "share_text": "Sign the letter.",
    }
    data.update(overrides)
    return data


def check_answer(client, response, before: int, data: dict) -> None:
    """Refused: shown again, escaped, kept, nothing saved. Saved: escaped everywhere."""
    assert response.status_code in (200, 302), response.status_code
    event(f"campaign form answered {response.status_code}")
    if response.status_code == 200:
        assert_no_injected_markup(response)
        assert Campaign.objects.count() == before
        if shown_as_typed(data["title"]):
            assert field_values(response.content.decode(), "title") == [data["title"]]
        return
    dashboard_page = client.get(response["Location"])
    assert dashboard_page.status_code == 200
    assert_no_injected_markup(dashboard_page)
    campaign = Campaign.objects.get(slug=response["Location"].rstrip("/").rsplit("/", 1)[-1])
    for path in ("preview/", "edit/"):
        page = client.get(response["Location"] + path)
        assert page.status_code == 200
        assert_no_injected_markup(page)
    if campaign.status == Campaign.Status.PUBLISHED:
        cache.clear()  # the page cache: the public page as a visitor sees it now
        public_page = client.get(campaign.get_absolute_url())
        assert public_page.status_code == 200
        assert_no_injected_markup(public_page)


hostile_fields = st.fixed_dictionaries(
    {},
    optional={
        **dict.fromkeys(TEXT_FIELDS, hostile_text),
        "slug": hostile_text,
        "goal": hostile_text,
        "opens_at": hostile_text,
        "closes_at": hostile_text,
        "delivery_mode": hostile_text,
        "organisation": hostile_text,
        "signers_may_edit": hostile_text,
    },
)


@given(fields=hostile_fields)
@example(fields={"title": "<script data-fuzz>alert(1)</script>", "goal": "1e309"})
@example(fields={"slug": '"><fuzz-el>', "opens_at": "2026-13-45T25:61"})
def test_creating_a_campaign_with_hostile_input_never_fails_nor_injects(
    client, coordinator, fields
):
    data = {**campaign_data(coordinator.organisation), **fields}
    before = Campaign.objects.count()

    response = post_form(client, "/dashboard/campaigns/new/", data)

    check_answer(client, response, before, data)


@given(
    title=st.one_of(plain_text, acceptable_text).map(lambda text: text[:150]),
    summary=plain_text,
    body=markdown_text,
    image_credit=plain_text,
)
@example(
    title="<fuzz-el>",
    summary="&lt;fuzz-el&gt;",
    body="[fuzz](javascript:alert(1))",
    image_credit="",
)
def test_editing_a_published_campaign_with_hostile_text_shows_it_as_text(
    client, coordinator, title, summary, body, image_credit
):
    # A fresh slug each time: a saved example must not collide with the next one's.
    campaign = CampaignFactory(
        organisation=coordinator.organisation, slug=f"fuzz-{next(unique)}", status="draft"
    )
    campaign.cases.add(CaseFactory())
    campaign.targets.add(TargetFactory())
    LetterTemplateFactory(campaign=campaign)
    campaign.publish()
    data = campaign_data(
        coordinator.organisation, title=title, summary=summary, body=body, image_credit=image_credit
    )
    del data["organisation"]
    before = Campaign.objects.count()

    response = post_form(client, f"/dashboard/campaigns/{campaign.slug}/edit/", data)

    check_answer(client, response, before, data)
