"""The campaign page from the page cache (idei.page_cache): the same page for every anonymous
visitor but for their own CSRF token and form timestamp, and never stale after a change."""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from campaigns.models import Campaign
from idei import page_cache
from letters.models import Signature
from letters.privacy import services as privacy
from letters.signing import counts
from tests.factories import MembershipFactory
from tests.letters.factories import SignatureFactory, open_campaign, sign_data

pytestmark = pytest.mark.django_db

STARTED = re.compile(r'name="started" value="([^"]+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def get(client, campaign, query="", **headers):
    response = client.get(campaign.get_absolute_url() + query, headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def test_a_cached_page_signs_with_the_visitors_own_csrf_token(django_assert_num_queries, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    campaign = open_campaign()
    get(Client(), campaign)  # rendered and kept
    visitor = Client(enforce_csrf_checks=True)

    with django_assert_num_queries(0):
        html = get(visitor, campaign)

    token = CSRF.search(html).group(1)
    assert "pagecachehole" not in html and "placeholder" not in STARTED.search(html).group(1)
    assert visitor.cookies["csrftoken"].value  # the cookie that goes with the token
    response = visitor.post(
        reverse("letters:sign", args=[campaign.slug]),
        {**sign_data(visitor), "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert Signature.objects.filter(campaign=campaign).count() == 1


def test_a_page_without_the_csrf_token_is_refused_as_before():
    campaign = open_campaign()
    get(Client(), campaign)

    visitor = Client(enforce_csrf_checks=True)
    response = visitor.post(reverse("letters:sign", args=[campaign.slug]), sign_data(visitor))

    assert response.status_code == 403
    assert not Signature.objects.exists()


def test_an_edit_is_shown_at_the_next_request(django_capture_on_commit_callbacks):
    campaign = open_campaign(title="Justice for Regina")
    assert "Justice for Regina" in get(Client(), campaign)

    with django_capture_on_commit_callbacks(execute=True):
        campaign.title = "Justice for Regina Martínez"
        campaign.save()

    assert "Justice for Regina Martínez" in get(Client(), campaign)


def test_a_change_invalidated_by_another_process_is_shown_at_the_next_request():
    campaign = open_campaign(title="Justice for Regina")
    assert "Justice for Regina" in get(Client(), campaign)

    # What another web process does: the row changes, and it bumps the generation in Redis.
    # No process keeps a copy of its own, so this one shows the change at once.
    Campaign.objects.filter(pk=campaign.pk).update(title="Justice for Regina Martínez")
    cache.incr(page_cache.GENERATION_KEY)

    assert "Justice for Regina Martínez" in get(Client(), campaign)


def test_the_page_is_kept_in_the_configured_cache():
    campaign = open_campaign(title="Justice for Regina")
    get(Client(), campaign)
    Campaign.objects.filter(pk=campaign.pk).update(title="Justice for Regina Martínez")

    assert "Martínez" not in get(Client(), campaign)  # served from the cache, not rendered
    cache.clear()
    assert "Justice for Regina Martínez" in get(Client(), campaign)


def test_the_sign_form_is_rendered_with_the_page_after_a_change(
    django_capture_on_commit_callbacks,
):
    campaign = open_campaign(signers_may_edit=False)
    assert 'name="letter_text"' not in get(Client(), campaign)

    with django_capture_on_commit_callbacks(execute=True):
        campaign.signers_may_edit = True
        campaign.save()

    assert 'name="letter_text"' in get(Client(), campaign)


def test_a_new_official_is_shown_at_the_next_request(django_capture_on_commit_callbacks):
    from tests.factories import TargetFactory

    campaign = open_campaign()
    get(Client(), campaign)

    with django_capture_on_commit_callbacks(execute=True):
        campaign.targets.add(TargetFactory(name="Fiscal Especial Zapata"))

    assert "Fiscal Especial Zapata" in get(Client(), campaign)


def test_a_new_count_is_shown_once_reconciled(django_capture_on_commit_callbacks):
    campaign = open_campaign()
    SignatureFactory(campaign=campaign)
    get(Client(), campaign)

    with django_capture_on_commit_callbacks(execute=True):
        counts.reconcile_counts([campaign.pk])

    html = get(Client(), campaign)
    assert re.search(r'class="signature-count">1<', html)


def test_an_erased_signer_leaves_the_cached_page_at_once(django_capture_on_commit_callbacks):
    campaign = open_campaign()
    signature = SignatureFactory(
        campaign=campaign, name="Zenaida Quintero", consent_show_first_name=True
    )
    assert "Zenaida" in get(Client(), campaign)

    with django_capture_on_commit_callbacks(execute=True):
        privacy.erase(signature.email_key)

    assert "Zenaida" not in get(Client(), campaign)


def test_a_signed_in_coordinator_is_never_served_or_stored(client):
    campaign = open_campaign()
    membership = MembershipFactory(organisation=campaign.organisation)
    get(Client(), campaign)  # an anonymous copy is kept
    client.force_login(membership.user)

    assert "Sign out" in get(client, campaign)  # rendered for them, not the anonymous copy
    assert "Sign out" not in get(Client(), campaign)


def test_a_query_string_is_rendered_each_time_and_not_kept():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    campaign = open_campaign(title="Original title")
    get(Client(), campaign, query="?utm_source=newsletter")

    with CaptureQueriesContext(connection) as queries:
        html = get(Client(), campaign, query="?utm_source=newsletter")

    assert len(queries) > 0  # rendered, not served from the cache
    assert "Original title" in html and CSRF.search(html) and STARTED.search(html)


def test_each_language_and_preselected_country_has_its_own_page():
    campaign = open_campaign()

    spanish = get(Client(), campaign, accept_language="es-MX")
    french = get(Client(), campaign, accept_language="fr-FR")
    spanish_again = get(Client(), campaign, accept_language="es-MX")

    assert 'lang="es"' in spanish and 'lang="fr"' in french
    assert '<option value="MX" selected>' in spanish_again
    assert '<option value="FR" selected>' in french


def test_a_campaign_closed_after_it_was_cached_refuses_signatures(
    django_capture_on_commit_callbacks,
):
    campaign = open_campaign()
    url = reverse("letters:sign", args=[campaign.slug])
    before = Client()
    assert before.post(url, sign_data(before, email="before@example.org")).status_code == 302

    with django_capture_on_commit_callbacks(execute=True):
        campaign.close(user=None)
    after = Client()
    response = after.post(url, sign_data(after, email="after@example.org"))

    assert response.status_code == 410
    assert list(Signature.objects.values_list("email", flat=True)) == ["before@example.org"]
