"""Factories for signatures and letters, for the letters and campaigns tests."""

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
