"""The watchlist: signatures per e-mail domain and per network per hour, alerts, blocking
(later signatures held back, their signers seeing no difference), and counting or dropping
what was held, through HTTP, the real Redis and the real SMTP server."""

import logging
import re
import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from idei.outbox.models import OutgoingMessage
from letters.models import MessageKind, Signature, WatchlistEntry
from letters.signing import counts, watchlist
from tests.factories import UserFactory
from tests.letters.factories import confirmation_token, open_campaign, sign_data

pytestmark = pytest.mark.django_db

Kind = WatchlistEntry.Kind


@pytest.fixture(autouse=True)
def _fresh_counts(abuse_clock, redis_broker):
    """No count left from another test; the watchlist counts on the real Redis."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def post_sign(client, campaign, ip="203.0.113.7", **overrides):
    return client.post(
        reverse("letters:sign", args=[campaign.slug]),
        sign_data(client, **overrides),
        REMOTE_ADDR=ip,
    )


def blocked(kind, value) -> WatchlistEntry:
    from django.utils import timezone

    return WatchlistEntry.objects.create(kind=kind, value=value, blocked_at=timezone.now())


# -- Counting and alerting ---------------------------------------------------------------------


def test_a_network_over_its_hourly_threshold_raises_one_alert_and_a_log_line(
    client, settings, abuse_clock, caplog
):
    settings.WATCHLIST_NETWORK_PER_HOUR = 3
    campaign = open_campaign()
    for n in range(3):
        assert post_sign(client, campaign, email=f"p{n}@example.org").status_code == 302
    post_sign(client, campaign, ip="198.51.100.9", email="quiet@example.org")

    with caplog.at_level(logging.WARNING, logger="letters.signing.watchlist"):
        alerted = watchlist.watch_sources(now=abuse_clock())

    assert [(entry.kind, entry.value, entry.alert_count) for entry in alerted] == [
        (Kind.NETWORK, "203.0.113.7", 3)
    ]
    [record] = caplog.records
    assert record.event == "watchlist_alert" and record.watchlist_entry == alerted[0].pk
    assert "203.0.113.7" not in record.getMessage()  # the admin holds the address, not the log
    # Once an hour: the next run says nothing more about it.
    assert watchlist.watch_sources(now=abuse_clock() + 60) == []
    assert WatchlistEntry.objects.get().blocked_at is None  # an alert blocks nothing by itself


def test_a_domain_over_its_threshold_across_networks_raises_an_alert(client, settings, abuse_clock):
    settings.WATCHLIST_DOMAIN_PER_HOUR = 4
    campaign = open_campaign()
    for n in range(4):
        post_sign(client, campaign, ip=f"198.51.100.{n + 1}", email=f"x{n}@Spam.Example")

    [entry] = watchlist.watch_sources(now=abuse_clock())

    assert (entry.kind, entry.value, entry.alert_count) == (Kind.DOMAIN, "spam.example", 4)


def test_only_forms_about_to_be_signed_are_counted(client, settings, abuse_clock):
    settings.WATCHLIST_NETWORK_PER_HOUR = 1
    campaign = open_campaign()

    post_sign(client, campaign, name="")  # invalid: shown again, not counted
    post_sign(client, campaign, leave_empty="bot")  # honeypot: dropped, not counted

    assert watchlist.watch_sources(now=abuse_clock()) == []


# -- Blocking: held back, the signer sees no difference ---------------------------------------


def without_tokens(response) -> str:
    """A page without its per-request tokens (CSRF, the signer's PDF link)."""
    return re.sub(r"[A-Za-z0-9_:.-]{24,}", "TOKEN", response.content.decode())


def sign_and_confirm(client, campaign, smtp_server, capture, ip, email):
    with capture(execute=True):
        answer = post_sign(client, campaign, ip=ip, email=email)
    mail = OutgoingMessage.objects.get(kind=MessageKind.CONFIRMATION, to_email=email)
    token = confirmation_token(mail.body_text)
    with capture(execute=True):
        confirmed = client.post(reverse("letters:confirm", args=[token]))
    thanks = client.get(reverse("letters:thanks", args=[campaign.slug]))
    return answer, confirmed, thanks


def test_a_blocked_network_holds_later_signatures_back_while_the_signer_sees_the_same(
    client, smtp_server, django_capture_on_commit_callbacks, abuse_clock
):
    campaign = open_campaign()
    entry = blocked(Kind.NETWORK, "203.0.113.7")

    held = sign_and_confirm(
        client, campaign, smtp_server, django_capture_on_commit_callbacks, "203.0.113.7", "h@x.org"
    )
    abuse_clock.advance(5)
    counted = sign_and_confirm(
        client, campaign, smtp_server, django_capture_on_commit_callbacks, "198.51.100.1", "c@x.org"
    )

    # The same answers, pages and e-mails for both signers.
    for held_response, counted_response in zip(held, counted, strict=True):
        assert held_response.status_code == counted_response.status_code
    assert without_tokens(held[2]) == without_tokens(counted[2])
    assert "your signature counts" in without_tokens(held[2])
    copies = OutgoingMessage.objects.filter(kind=MessageKind.SIGNER_COPY)
    assert sorted(copies.values_list("to_email", flat=True)) == ["c@x.org", "h@x.org"]
    # Not counted, and nothing sent to the officials in its name.
    signature = Signature.objects.get(email="h@x.org")
    assert signature.confirmed_at and signature.held_by == entry
    counts.reconcile_counts([campaign.pk])
    campaign.refresh_from_db()
    assert campaign.signature_count == 1
    sent_letters = OutgoingMessage.objects.filter(kind=MessageKind.LETTER)
    held_letters = [f"letter:{pk}" for pk in signature.letters.values_list("pk", flat=True)]
    assert held_letters  # written, waiting for an admin to count the signature
    assert sent_letters.count() == 1
    assert not sent_letters.filter(idempotency_key__in=held_letters).exists()


def test_a_blocked_domain_holds_its_subdomains_and_not_lookalikes():
    entry = blocked(Kind.DOMAIN, "spam.example")

    assert watchlist.holding_entry("a@eu.spam.example", "198.51.100.1") == entry.pk
    assert watchlist.holding_entry("a@spam.example", "198.51.100.1") == entry.pk
    assert watchlist.holding_entry("a@notspam.example", "198.51.100.1") is None


def test_unblocking_lets_later_signatures_count_at_once(client, admin_client):
    entry = blocked(Kind.NETWORK, "203.0.113.7")
    admin_client.post(
        reverse("admin:letters_watchlistentry_changelist"),
        {"action": "unblock", "_selected_action": [entry.pk]},
    )
    campaign = open_campaign()

    post_sign(client, campaign)

    assert Signature.objects.get().held_by is None


# -- Counting or dropping what was held --------------------------------------------------------


def held_confirmed_signature(campaign, entry, email="held@example.org"):
    from django.utils import timezone

    from letters.delivery import services as delivery
    from tests.letters.factories import SignatureFactory

    signature = SignatureFactory(campaign=campaign, email=email, held_by=entry)
    signature.confirmed_at = timezone.now()
    delivery.on_signature_confirmed(signature)
    return signature


def test_an_admin_counts_held_signatures_and_their_letters_go_out(
    admin_client, django_capture_on_commit_callbacks
):
    campaign = open_campaign()
    entry = blocked(Kind.DOMAIN, "example.org")
    signature = held_confirmed_signature(campaign, entry)
    assert not OutgoingMessage.objects.filter(kind=MessageKind.LETTER).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:letters_watchlistentry_changelist"),
            {"action": "count_held", "_selected_action": [entry.pk]},
            follow=True,
        )

    assert "1 held signature now counts." in response.content.decode()
    signature.refresh_from_db()
    assert signature.held_by is None
    campaign.refresh_from_db()
    assert campaign.signature_count == 1
    assert OutgoingMessage.objects.filter(kind=MessageKind.LETTER).count() == 1
    # Its signer's copy was sent before: never a second one.
    assert OutgoingMessage.objects.filter(kind=MessageKind.SIGNER_COPY).count() == 1


def test_an_admin_drops_held_signatures_after_saying_yes(admin_client):
    campaign = open_campaign()
    entry = blocked(Kind.DOMAIN, "example.org")
    held_confirmed_signature(campaign, entry)
    kept = held_confirmed_signature(campaign, None, email="kept@example.net")
    url = reverse("admin:letters_watchlistentry_changelist")

    asked = admin_client.post(url, {"action": "drop_held", "_selected_action": [entry.pk]})

    assert asked.status_code == 200
    assert "1 signature held back by these sources will be deleted" in asked.content.decode()
    assert Signature.objects.count() == 2

    done = admin_client.post(
        url,
        {"action": "drop_held", "_selected_action": [entry.pk], "confirmed": "yes"},
        follow=True,
    )

    assert "1 held signature was dropped." in done.content.decode()
    assert list(Signature.objects.all()) == [kept]
    # Nothing held any more: the entry may now be deleted.
    entry.delete()


# -- The admin's own input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "stored"),
    [
        ("domain", " @Spam.Example. ", "spam.example"),
        ("domain", "bücher.example", "xn--bcher-kva.example"),
        ("network", " 2001:db8:1:2:3:4:5:6 ", "2001:db8:1:2::"),
        ("network", "::ffff:203.0.113.9", "203.0.113.9"),
    ],
)
def test_entries_added_in_admin_are_normalised(admin_client, kind, value, stored):
    response = admin_client.post(
        reverse("admin:letters_watchlistentry_add"), {"kind": kind, "value": value, "note": ""}
    )

    assert response.status_code == 302
    assert WatchlistEntry.objects.get().value == stored


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("network", "not-an-address", "Write an IPv4 or IPv6 address"),
        ("network", "203.0.113.0/24\r\nX-Injected: 1", "Write an IPv4 or IPv6 address"),
        ("domain", "<script>alert(1)</script>", "Write a domain"),
        ("domain", "a" * 300, "Ensure this value has at most 253 characters"),
        ("domain", "", "This field is required"),
    ],
)
def test_malformed_entries_are_refused_with_a_message(admin_client, kind, value, message):
    response = admin_client.post(
        reverse("admin:letters_watchlistentry_add"), {"kind": kind, "value": value, "note": ""}
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert "<script>alert" not in response.content.decode()
    assert not WatchlistEntry.objects.exists()


def test_a_duplicate_entry_is_refused_and_the_first_kept(admin_client):
    WatchlistEntry.objects.create(kind=Kind.DOMAIN, value="spam.example", note="first")

    response = admin_client.post(
        reverse("admin:letters_watchlistentry_add"),
        {"kind": "domain", "value": "SPAM.example", "note": "second"},
    )

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert WatchlistEntry.objects.get().note == "first"


# -- Held signatures in digests, petitions and retention -------------------------------------


def test_a_digest_leaves_out_held_letters_until_they_are_counted():
    import datetime

    from django.utils import timezone

    from campaigns.models import Campaign
    from letters import services
    from letters.delivery import services as delivery
    from letters.models import Letter

    campaign = open_campaign(delivery_mode=Campaign.DeliveryMode.DIGEST)
    entry = blocked(Kind.DOMAIN, "held.example")
    day = datetime.date(2026, 11, 2)
    noon = datetime.datetime(2026, 11, 2, 12, tzinfo=datetime.UTC)
    for email, name in (("a@counted.example", "Counted Signer"), ("b@held.example", "Held Signer")):
        signature = held_confirmed_signature(
            campaign, entry if "held" in email else None, email=email
        )
        Signature.objects.filter(pk=signature.pk).update(name=name, consent_share_name=True)
        Letter.objects.filter(signature=signature).update(created_at=noon)

    assert delivery.send_daily_digests(day, now=noon + datetime.timedelta(days=1)) == 1
    [digest] = OutgoingMessage.objects.filter(kind=MessageKind.DIGEST)
    assert "Counted Signer" in digest.body_text and "Held Signer" not in digest.body_text

    services.count_held_signatures(entry)
    today = timezone.localdate()
    delivery.send_daily_digests(today, now=timezone.now() + datetime.timedelta(days=1))
    later = OutgoingMessage.objects.filter(kind=MessageKind.DIGEST).exclude(pk=digest.pk)
    assert [("Held Signer" in message.body_text) for message in later] == [True]


def test_a_petition_names_only_counted_signers():
    from letters.delivery.pdf import petition_signers

    campaign = open_campaign()
    entry = blocked(Kind.NETWORK, "203.0.113.7")
    counted = held_confirmed_signature(campaign, None, email="a@example.org")
    held_confirmed_signature(campaign, entry, email="b@example.org")
    Signature.objects.update(consent_share_name=True)

    assert list(petition_signers(campaign)) == [counted]


def test_a_network_leaves_the_watchlist_30_days_after_its_last_alert_unless_blocked_or_holding():
    import datetime

    from django.utils import timezone

    from letters.privacy import retention

    old = timezone.now() - datetime.timedelta(days=31)
    campaign = open_campaign()
    for value, blocked_at in (("203.0.113.1", None), ("203.0.113.2", old), ("203.0.113.3", None)):
        WatchlistEntry.objects.create(
            kind=Kind.NETWORK, value=value, alerted_at=old, blocked_at=blocked_at
        )
    WatchlistEntry.objects.create(kind=Kind.NETWORK, value="203.0.113.4", alerted_at=timezone.now())
    WatchlistEntry.objects.create(kind=Kind.DOMAIN, value="old.example", alerted_at=old)
    held_confirmed_signature(campaign, WatchlistEntry.objects.get(value="203.0.113.3"))

    assert retention.apply_retention().watchlist_networks == 1

    assert set(WatchlistEntry.objects.values_list("value", flat=True)) == {
        "203.0.113.2",
        "203.0.113.3",
        "203.0.113.4",
        "old.example",
    }


def test_the_watchlist_runs_every_minute_from_a_beat_row():
    from django_celery_beat.models import PeriodicTask

    from letters.signing import tasks

    row = PeriodicTask.objects.get(task="letters.tasks.watch_signing_sources")
    assert row.enabled and row.interval.every == 60
    assert tasks.watch_signing_sources.delay().get() == {"alerts": 0}


def test_the_dashboard_shows_held_signatures_apart_and_the_export_leaves_them_out(client):
    from campaigns.models import Membership
    from tests.factories import MembershipFactory
    from tests.letters.factories import SignatureFactory

    campaign = open_campaign()
    entry = blocked(Kind.DOMAIN, "held.example")
    SignatureFactory(campaign=campaign, name="Counted One", consent_share_name=True)
    SignatureFactory(
        campaign=campaign, name="Held One", email="h@held.example", held_by=entry,
        consent_share_name=True,
    )  # fmt: skip
    coordinator = MembershipFactory(
        organisation=campaign.organisation, role=Membership.Role.COORDINATOR
    ).user
    client.force_login(coordinator)

    page = client.get(f"/dashboard/campaigns/{campaign.slug}/signatures/")
    export = client.post(f"/dashboard/campaigns/{campaign.slug}/signatures/export/csv/")

    assert page.context["totals"]["held"] == 1 and page.context["totals"]["confirmed"] == 1
    assert [row["count"] for row in page.context["per_country"]] == [1]
    assert "set aside by the site" in page.content.decode()
    csv_text = b"".join(export.streaming_content).decode()
    assert "Counted One" in csv_text and "Held One" not in csv_text


@pytest.mark.django_db(transaction=True)
def test_a_signature_held_by_an_entry_deleted_a_moment_ago_is_stored_unheld(client):
    # Another process deleted the entry; this one still has it in its copy of the block-list.
    entry = blocked(Kind.NETWORK, "203.0.113.7")
    watchlist.forget_blocked()
    stale = dict(watchlist.blocked_entries())
    WatchlistEntry.objects.filter(pk=entry.pk).delete()
    watchlist._blocked.update(entries=stale, read_at=time.monotonic())
    assert watchlist.holding_entry("ana@example.org", "203.0.113.7") == entry.pk
    campaign = open_campaign()

    response = post_sign(client, campaign)

    assert response.status_code == 302
    assert Signature.objects.get().held_by is None
