"""/metrics: Prometheus text for loopback, configured networks and the bearer token only."""

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from idei.outbox import services as outbox_services
from idei.outbox.models import OutgoingMessage
from letters.models import MessageKind, Signature
from tests.letters.factories import SignatureFactory, open_campaign

pytestmark = pytest.mark.django_db
Status = OutgoingMessage.Status


def samples(response) -> dict:
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def message(key, kind=MessageKind.LETTER, status=Status.QUEUED, **fields):
    row = outbox_services.enqueue(
        kind=kind, key=key, to="o@gov.example.org", subject="s", body_text="b\n", send=False
    )
    OutgoingMessage.objects.filter(pk=row.pk).update(status=status, **fields)


def test_loopback_reads_the_outbox_and_signature_figures(client):
    message("q1", created_at=timezone.now() - timedelta(minutes=10))
    message("q2")
    message("s1", status=Status.SENT)
    message("f1", kind=MessageKind.CONFIRMATION, status=Status.FAILED)
    campaign = open_campaign()
    SignatureFactory(campaign=campaign, confirmed_at=None)
    signed = SignatureFactory(campaign=campaign)  # confirmed now
    Signature.objects.filter(pk=signed.pk).update(
        created_at=signed.confirmed_at - timedelta(minutes=2)
    )

    figures = samples(client.get("/metrics", REMOTE_ADDR="127.0.0.1"))

    assert figures[("idei_outbox_messages", (("status", "queued"),))] == 2
    assert figures[("idei_outbox_messages", (("status", "suppressed"),))] == 0
    assert figures[("idei_outbox_sent_total", (("kind", "letter"),))] == 1
    assert figures[("idei_outbox_failed_total", (("kind", "confirmation"),))] == 1
    assert 590 <= figures[("idei_outbox_oldest_queued_age_seconds", ())] < 3600
    assert figures[("idei_signatures_accepted_total", ())] == 2
    assert figures[("idei_signatures_confirmed_total", ())] == 1
    assert figures[("idei_signature_confirmation_lag_seconds", (("quantile", "0.5"),))] == 120


@pytest.mark.parametrize("address", ["203.0.113.5", "10.1.2.3", "not-an-ip"])
def test_other_addresses_are_refused(client, address):
    response = client.get("/metrics", REMOTE_ADDR=address)
    assert response.status_code == 403
    assert b"idei_" not in response.content


def test_a_configured_network_may_read(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="11.1.2.3").status_code == 403


def test_the_bearer_token_opens_it_from_anywhere_and_a_wrong_one_does_not(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    ok = client.get("/metrics", REMOTE_ADDR="203.0.113.5", HTTP_AUTHORIZATION="Bearer s3cret-token")
    wrong = client.get("/metrics", REMOTE_ADDR="203.0.113.5", HTTP_AUTHORIZATION="Bearer nope")
    assert ok.status_code == 200
    assert wrong.status_code == 403


def test_without_a_token_set_no_bearer_opens_it(client, settings):
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.5", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 403


def test_a_request_forwarded_by_an_undeclared_proxy_on_loopback_is_refused(client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert response.status_code == 403


def test_behind_a_declared_proxy_the_client_address_decides(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    outside = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    spoofed = client.get(
        "/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1, 203.0.113.5"
    )
    inside = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert (outside.status_code, spoofed.status_code, inside.status_code) == (403, 403, 200)


def test_metrics_refuses_other_methods(client):
    assert client.post("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 405
