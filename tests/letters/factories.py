"""Factories for signatures and letters, for the letters and campaigns tests."""

import datetime

import factory
from django.utils import timezone

from campaigns.models import LetterTemplate
from letters.models import Signature
from tests.factories import CampaignFactory


class LetterTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LetterTemplate

    campaign = factory.SubFactory(CampaignFactory)
    language = "en"
    subject = "Reopen the case of {case_names}"
    body = "Dear {target_name},\n\nPlease act on:\n{cases}\n\nYours,\n{signer_name}, {signer_city}"


class SignatureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Signature

    campaign = factory.SubFactory(CampaignFactory)
    name = factory.Sequence(lambda n: f"Signer Number{n}")
    email = factory.Sequence(lambda n: f"signer{n}@example.org")
    email_key = factory.LazyAttribute(lambda s: s.email.lower())
    country = "MX"
    city = "Puebla"
    confirmed_at = factory.LazyFunction(timezone.now)


COUNTRIES = ["MX", "CO", "PH", "FR", "BR", "IN", "US", "ES", "AR", "NG"]


def bulk_signatures(campaign, count: int, *, days: int = 30, batch: int = 5000, start: int = 0):
    """`count` confirmed signatures spread over the last `days` days, inserted in bulk.

    Consents vary by row number, so that exports have names, e-mails and empty cells.
    """
    now = timezone.now()
    rows = []
    for n in range(start, start + count):
        rows.append(
            Signature(
                campaign=campaign,
                name=f"Signer {n}",
                email=f"signer{n}@example.org",
                email_key=f"signer{n}@example.org",
                country=COUNTRIES[n % len(COUNTRIES)],
                city="Puebla",
                confirmed_at=now - datetime.timedelta(minutes=(n * 7919) % (days * 24 * 60)),
                consent_share_name=n % 2 == 0,
                consent_updates=n % 3 == 0,
            )
        )
        if len(rows) == batch:
            Signature.objects.bulk_create(rows)
            rows = []
    Signature.objects.bulk_create(rows)


# -- Signing (tests/letters/test_sign.py, test_confirm.py, test_counts.py, test_abuse.py) ------


def open_campaign(**fields):
    """A published campaign with an English letter and one official, ready to be signed."""
    from campaigns.models import Campaign
    from tests.factories import TargetFactory

    campaign = CampaignFactory(status=Campaign.Status.PUBLISHED, **fields)
    LetterTemplateFactory(campaign=campaign)
    campaign.targets.add(TargetFactory())
    return campaign


def visitor_of(client) -> str:
    """The key a form token is bound to for this test client (letters.signing.abuse.visitor_key),
    as for a browser that loaded the page: its CSRF cookie, given one now if it has none."""
    from django.conf import settings
    from django.http import HttpRequest
    from django.utils.crypto import get_random_string

    from letters.signing.abuse import visitor_key

    cookie = client.cookies.get(settings.CSRF_COOKIE_NAME)
    if cookie is None or not cookie.value:
        # What CsrfViewMiddleware would give it: a 32-character secret, in the cookie.
        client.cookies[settings.CSRF_COOKIE_NAME] = get_random_string(32)
    request = HttpRequest()
    request.META["CSRF_COOKIE"] = client.cookies[settings.CSRF_COOKIE_NAME].value
    return visitor_key(request)


def sign_data(client=None, **overrides) -> dict:
    """What `client`'s browser sends in the sign form, shown a minute ago (past the time-on-page
    check), with a form token of its own. Without a client (a service called directly), the
    token is bound to no browser and a sign POST would refuse it."""
    import time

    from letters.signing.abuse import form_token

    visitor = visitor_of(client) if client is not None else "no-browser"
    data = {
        "name": "Ana María López",
        "email": "ana@example.org",
        "country": "MX",
        "city": "Puebla",
        "message": "",
        "started": form_token(visitor, now=time.time() - 60),
        "leave_empty": "",
    }
    data.update(overrides)
    return data


def confirmation_token(text: str) -> str:
    """The token in a confirmation e-mail's link."""
    import re

    match = re.search(r"/signatures/confirm/([A-Za-z0-9_-]+)/", text)
    assert match, "no confirmation link in the e-mail"
    return match.group(1)


def pending_signature(campaign=None, email="pending@example.org", **fields):
    """An unconfirmed signature and the token of its link."""
    from idei.tokens import new_token
    from letters.signing.addresses import normalise_email
    from letters.signing.confirmations import CONFIRMATION_LIFETIME

    token, digest = new_token()
    signature = SignatureFactory(
        campaign=campaign or open_campaign(),
        email=email,
        email_key=normalise_email(email),
        confirmed_at=None,
        confirmation_token_hash=digest,
        confirmation_expires_at=timezone.now() + CONFIRMATION_LIFETIME,
        confirmation_mails_sent=1,
        **fields,
    )
    return signature, token


# -- Reminders (subscriptions and reminder definitions) -------------------------------------


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "letters.Subscription"

    email = factory.Sequence(lambda n: f"subscriber{n}@example.org")
    email_key = factory.LazyAttribute(lambda s: s.email.lower())
    country = "MX"
    language = "en"
    time_zone = "America/Mexico_City"
    unsubscribe_token = factory.Sequence(lambda n: f"unsubscribe-token-{n:06d}-abcdefghijklmnop")
    consent_record = factory.LazyFunction(
        lambda: {"text": "Remind me", "at": "2026-03-14T10:00:00+00:00", "page": "/"}
    )
    confirmed_at = factory.LazyFunction(timezone.now)


class ReminderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "letters.Reminder"
        django_get_or_create = ("days_before",)

    name = factory.LazyAttribute(lambda r: f"{r.days_before} days before")
    # Not 30, 7, 1 or 0: the data migration creates those defaults.
    days_before = 14


class ReminderTextFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "letters.ReminderText"
        django_get_or_create = ("reminder", "language")

    reminder = factory.SubFactory(ReminderFactory)
    language = "en"
    subject = "{days_left} days until {date}"
    body = "Hello,\n\nIn {country}, {unresolved_count_country} cases are unresolved."


# -- The embed (tests/letters/test_embed.py, tests/browser/test_embed.py) -------------------


def embed_form_token(address: str = "127.0.0.1", seconds_ago: int = 60) -> str:
    """A form token of the embed, as the embed page gives a visitor on `address`."""
    import time

    from django.test import RequestFactory

    from letters.signing.abuse import embed_visitor_key, form_token

    request = RequestFactory().get("/", REMOTE_ADDR=address)
    return form_token(embed_visitor_key(request), now=time.time() - seconds_ago)


def embed_sign_data(address: str = "127.0.0.1", **overrides) -> dict:
    """What a browser on `address` sends from the embed's form, shown a minute ago."""
    data = sign_data(None, started=embed_form_token(address))
    data.update(overrides)
    return data
