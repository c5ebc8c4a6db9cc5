"""A mailbox gets at most 5 unsolicited mails a day, across every flow (issue 13, point 8).

Through HTTP with the real SMTP server: signing three campaigns, signing up for reminders
three times and asking for data three times with +tags of one mailbox sends 5 mails, and each
page answers exactly as it did before the cap was reached.
"""

import datetime
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from letters.models import Signature, UnsolicitedMailCount
from letters.signing.unsolicited import (
    UNSOLICITED_MAILS_PER_DAY,
    allow_unsolicited_mail,
    mailbox_key,
)
from tests.letters.factories import open_campaign, sign_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def without_tokens(response) -> str:
    html = response.content.decode()
    return re.sub(r'(nonce|value|content)="[A-Za-z0-9+/=_:-]{16,}"', "", html)


def test_nine_requests_from_every_flow_send_five_mails_and_nothing_tells_the_sender(
    client, smtp_server, django_capture_on_commit_callbacks
):
    campaigns = [open_campaign() for _ in range(3)]
    answers = []
    with django_capture_on_commit_callbacks(execute=True):
        for number, campaign in enumerate(campaigns):
            response = client.post(
                reverse("letters:sign", args=[campaign.slug]),
                sign_data(client, email=f"Victim+sign{number}@Example.org"),
                follow=True,
            )
            # The page names its campaign; the rest must not differ.
            page = without_tokens(response).replace(campaign.slug, "SLUG")
            # It shows back the address typed (to its own sender only); the rest is the same.
            page = re.sub(r"victim\+sign\d@example\.org", "ADDRESS", page, flags=re.IGNORECASE)
            answers.append(("sign", page.replace(campaign.title, "TITLE")))
        for number in range(3):
            response = client.post(
                reverse("letters:reminders:subscribe"),
                {"email": f"victim+remind{number}@example.org", "country": "MX", "language": "en"},
                follow=True,
            )
            answers.append(("remind", without_tokens(response)))
        for number in range(3):
            response = client.post(
                reverse("letters:data_request"), {"email": f"victim+data{number}@example.org"}
            )
            answers.append(("data", without_tokens(response)))
    # Someone else's mailbox is not affected.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("letters:sign", args=[campaigns[0].slug]),
            sign_data(client, email="bystander@example.org"),
        )

    received = smtp_server.wait_for(UNSOLICITED_MAILS_PER_DAY + 1)
    victim = [m for m in received if "victim" in m["To"].lower()]
    assert len(victim) == UNSOLICITED_MAILS_PER_DAY
    assert len(received) == UNSOLICITED_MAILS_PER_DAY + 1
    # Every flow answered the same before and after the cap.
    for flow in ("sign", "remind", "data"):
        pages = {page for kind, page in answers if kind == flow}
        assert len(pages) == 1, f"the {flow} answer changed at the cap"
    # The signatures past the cap are kept pending without a link, and owe nothing more.
    assert Signature.objects.filter(email_key="victim@example.org").count() == 3
    assert not Signature.objects.filter(confirmation_due_at__isnull=False).exists()
    # The count names nobody.
    assert not UnsolicitedMailCount.objects.filter(mailbox__icontains="victim").exists()


def test_the_cap_is_per_day():
    mailbox = "someone@example.org"
    yesterday = timezone.now().date() - datetime.timedelta(days=1)
    UnsolicitedMailCount.objects.create(
        mailbox=mailbox_key(mailbox), day=yesterday, count=UNSOLICITED_MAILS_PER_DAY
    )
    allowed = [allow_unsolicited_mail("Some.One+x@example.org") for _ in range(7)]
    assert allowed == [True] * UNSOLICITED_MAILS_PER_DAY + [False, False]


def test_gmail_spellings_of_one_mailbox_share_one_count():
    spellings = ["a.b.c@gmail.com", "abc@googlemail.com", "A.B.C+x@Gmail.com", "abc+y@gmail.com"]
    assert len({mailbox_key(spelling) for spelling in spellings}) == 1


@pytest.mark.django_db(transaction=True)
def test_the_confirmation_worker_sends_one_mailbox_five_links_across_six_campaigns(
    celery_worker, smtp_server
):
    from django.test import Client

    from idei.celery import ping
    from letters.signing import confirmations

    cache.delete(confirmations.WAKE_KEY)
    # Six: the sign form's own limit refuses a seventh signature per address within the hour.
    campaigns = [open_campaign() for _ in range(UNSOLICITED_MAILS_PER_DAY + 1)]
    for number, campaign in enumerate(campaigns):
        visitor = Client()
        response = visitor.post(
            reverse("letters:sign", args=[campaign.slug]),
            sign_data(visitor, email=f"target+{number}@example.org"),
            REMOTE_ADDR=f"10.1.{number}.1",
        )
        assert response.status_code == 302
    smtp_server.wait_for(UNSOLICITED_MAILS_PER_DAY)
    # Every signature has been handled by the worker: none is still owed its e-mail.
    for _ in range(100):
        assert ping.delay("drained").get(timeout=30) == "drained"
        if not Signature.objects.filter(confirmation_due_at__isnull=False).exists():
            break
    assert not Signature.objects.filter(confirmation_due_at__isnull=False).exists()
    assert len(smtp_server.messages) == UNSOLICITED_MAILS_PER_DAY
    assert Signature.objects.filter(email_key="target@example.org").count() == 6
