"""Fuzzing the sign form and the confirm page with hostile strings (Hypothesis, tests/hostile.py).

Whatever a person or a bot sends: never a server error, never their input turned into markup on
any page that shows it (the form shown again, the confirm page, the thanks page, the campaign
page), and a refused form keeps what was typed.
"""

import itertools
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.urls import reverse
from hypothesis import event, example, given
from hypothesis import strategies as st

from idei.tokens import new_token
from letters.models import Signature
from letters.signing.forms import CONSENT_FIELDS
from tests.hostile import (
    PAYLOADS,
    acceptable_text,
    assert_no_injected_markup,
    encodable,
    field_values,
    hostile_text,
    post_form,
    shown_as_typed,
)
from tests.letters.factories import open_campaign, sign_data

pytestmark = pytest.mark.django_db

unique = itertools.count()


@pytest.fixture
def campaign():
    # Signers may edit the letter: the most fields a form can carry.
    return open_campaign(signers_may_edit=True)


def sign_and_follow(client, campaign, fields: dict, consents: list[str]) -> int:
    """Send the sign form; follow a signature to its confirm, thanks and campaign pages."""
    cache.clear()  # the rate limits would otherwise answer 429 after a few examples
    data = sign_data(client, **fields)
    data.update(dict.fromkeys(consents, "on"))
    before = Signature.objects.count()

    response = post_form(client, reverse("letters:sign", args=[campaign.slug]), data)

    assert response.status_code in (302, 400), response.status_code
    event(f"sign answered {response.status_code}")  # --hypothesis-show-statistics
    if response.status_code == 400:
        assert_no_injected_markup(response)
        assert Signature.objects.count() == before
        html = response.content.decode()
        for field in ("name", "city"):
            if shown_as_typed(data[field]):
                assert field_values(html, field) == [data[field]], f"{field} was not kept"
        return response.status_code

    assert Signature.objects.count() == before + 1
    signature = Signature.objects.latest("pk")
    # The e-mailed link, issued as the confirmation worker issues it.
    token, digest = new_token()
    Signature.objects.filter(pk=signature.pk).update(confirmation_token_hash=digest)
    confirm_url = reverse("letters:confirm", args=[token])

    shown = client.get(confirm_url)
    assert shown.status_code == 200
    assert_no_injected_markup(shown)

    confirmed = client.post(confirm_url)
    assert confirmed.status_code == 302
    thanks = client.get(confirmed["Location"])
    assert thanks.status_code == 200
    assert_no_injected_markup(thanks)
    page = client.get(campaign.get_absolute_url())
    assert page.status_code == 200
    assert_no_injected_markup(page)
    return response.status_code


consents = st.lists(st.sampled_from(CONSENT_FIELDS), unique=True)


@given(
    name=hostile_text,
    city=hostile_text,
    message=hostile_text,
    letter_text=hostile_text,
    email=hostile_text,
    country=st.one_of(st.just("MX"), hostile_text),
    consents=consents,
)
def test_sign_form_refuses_hostile_input_plainly_and_keeps_it(
    client, campaign, name, city, message, letter_text, email, country, consents
):
    fields = {
        "name": name,
        "city": city,
        "message": message,
        "letter_text": letter_text,
        "email": email,
        "country": country,
    }
    sign_and_follow(client, campaign, fields, consents)


@given(
    name=acceptable_text,
    city=acceptable_text,
    message=st.one_of(acceptable_text, hostile_text),
    letter_text=acceptable_text,
    consents=consents,
)
@example(
    name="<script data-fuzz>alert(1)</script>",
    city='"><img src=x onerror=alert(1) data-fuzz>',
    message="</textarea><fuzz-el>\r\n\u202e",
    letter_text="<fuzz-el>",
    consents=list(CONSENT_FIELDS),
)
def test_hostile_signature_is_text_on_the_confirm_thanks_and_campaign_pages(
    client, campaign, name, city, message, letter_text, consents
):
    fields = {
        "name": name,
        "city": city,
        "message": message,
        "letter_text": f"Dear {{target_name}},\n{letter_text}\n{{signer_name}}",
        "email": f"fuzz{next(unique)}@example.org",
        "country": "MX",
    }
    sign_and_follow(client, campaign, fields, consents)


@given(token=st.one_of(st.sampled_from(PAYLOADS), hostile_text))
@example(token="../../admin/")
@example(token="x" * 10_000)
def test_confirm_link_with_a_hostile_token_is_refused_plainly(client, token):
    url = "/signatures/confirm/" + quote(encodable(token), safe="") + "/"

    for response in (client.get(url), client.post(url)):
        # 404: no such link (or no such address); 400/410: the link problem page.
        assert response.status_code in (400, 404, 410), response.status_code
        assert_no_injected_markup(response)
