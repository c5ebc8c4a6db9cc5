"""The two requests every signer makes stay cheap: query counts pinned, cached form identical."""

import re
import time

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from idei.outbox.models import OutgoingMessage, ref
from letters.models import Signature
from letters.signing.abuse import MIN_SECONDS_ON_PAGE, FormToken, check_form_token
from letters.templatetags.signing import STARTED_PLACEHOLDER
from tests.letters.factories import open_campaign, sign_data, visitor_of

pytestmark = pytest.mark.django_db

STARTED = re.compile(r'name="started" value="([^"]+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def page(client, campaign, **headers) -> str:
    response = client.get(campaign.get_absolute_url(), headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def without_tokens(html: str) -> str:
    return CSRF.sub("csrf", STARTED.sub("started", html))


def test_campaign_page_runs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, django_assert_num_queries
):
    campaign = open_campaign()
    cache.clear()

    # Rendered: campaign, cases, letters, history, partners, recent signers, officials, and
    # the campaign's texts in other languages (issue 15).
    with django_assert_max_num_queries(8):
        page(client, campaign)
    # Then from the page cache (idei.page_cache): no query at all.
    with django_assert_num_queries(0):
        page(Client(), campaign)


def test_sign_post_only_inserts_the_signature_when_a_worker_sends_the_mail(
    client, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from idei.celery import app
    from letters.signing import confirmations

    campaign = open_campaign()
    app.conf.task_always_eager = False  # as in production: a worker writes the e-mail
    url = reverse("letters:sign", args=[campaign.slug])
    client.post(url, sign_data(client, email="first@example.org"))  # reads the block-list
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, sign_data(client))

    assert response.status_code == 302
    # The campaign read once (its status as of now), then one INSERT, in a savepoint only
    # because a test runs in a transaction. The block-list is kept between requests.
    statements = [q["sql"] for q in queries]
    assert len(statements) <= 4, statements
    reads = [sql for sql in statements if sql.startswith("SELECT")]
    assert len(reads) == 1 and 'FROM "campaigns_campaign"' in reads[0]
    writes = [sql for sql in statements if not sql.startswith(("SAVEPOINT", "RELEASE", "SELECT"))]
    assert len(writes) == 1 and writes[0].startswith('INSERT INTO "letters_signature"')
    assert not OutgoingMessage.objects.exists()
    signature = Signature.objects.get(campaign=campaign, email="ana@example.org")
    assert signature.confirmation_due_at is not None and not signature.confirmation_token_hash

    assert len(confirmations.issue_due_confirmations()) == 2  # what the worker does next

    signature.refresh_from_db()
    assert signature.confirmation_due_at is None and signature.confirmation_token_hash
    assert OutgoingMessage.objects.filter(kind="confirmation", about=ref(signature)).count() == 1


def test_cached_sign_form_is_the_same_page_with_a_new_timestamp_per_visitor():
    campaign = open_campaign()
    cache.clear()

    first_visitor, second_visitor = Client(), Client()
    first = page(first_visitor, campaign, accept_language="es-MX")  # rendered, then cached
    second = page(second_visitor, campaign, accept_language="es-MX")  # from the cache

    assert without_tokens(first) == without_tokens(second)
    assert STARTED_PLACEHOLDER not in second
    assert CSRF.search(first).group(1) != CSRF.search(second).group(1)
    # The timestamp is bound to the CSRF cookie the same response set (filled after it).
    started = STARTED.search(second).group(1)
    visitor = visitor_of(second_visitor)
    assert check_form_token(started, visitor).state == FormToken.TOO_FAST
    later = time.time() + MIN_SECONDS_ON_PAGE
    assert check_form_token(started, visitor, now=later).state == FormToken.VALID
    other = visitor_of(first_visitor)
    assert check_form_token(started, other, now=later).state == FormToken.FOREIGN


def test_cached_sign_form_follows_language_and_preselected_country():
    campaign = open_campaign()

    mexico = page(Client(), campaign, accept_language="es-MX")
    france = page(Client(), campaign, accept_language="fr-FR")

    assert '<option value="MX" selected>' in mexico
    assert '<option value="FR" selected>' in france and 'value="MX" selected' not in france


def test_sign_form_is_shown_when_the_cache_is_down(client, settings):
    from tests.conftest import free_port

    settings.CACHES = {
        **settings.CACHES,  # the other aliases (fragments) as configured
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nobody listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    campaign = open_campaign()

    html = page(client, campaign)

    assert 'name="email"' in html and STARTED.search(html)
