"""factory_boy factories for every app; tests build exactly the objects they need."""

import datetime

import factory
from django.contrib.auth import get_user_model

from campaigns.models import Campaign, Membership, Organisation, Target
from cases.models import Case, CaseEvent, CaseSource


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    full_name = factory.Faker("name")
    country = "MX"
    place = factory.Faker("city")
    date_of_death = factory.Faker(
        "date_between", start_date=datetime.date(2006, 1, 1), end_date=datetime.date(2025, 12, 31)
    )
    type_of_death = Case.TypeOfDeath.MURDER
    impunity = Case.Impunity.COMPLETE
    unesco_status = Case.UnescoStatus.ONGOING
    summary = factory.Faker("paragraph")
    is_published = True


class CaseEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseEvent

    case = factory.SubFactory(CaseFactory)
    date = factory.LazyAttribute(lambda e: e.case.date_of_death or datetime.date(2020, 1, 1))
    kind = CaseEvent.Kind.INVESTIGATION
    description = "Prosecutors open an investigation."
    source_url = "https://example.org/source"


class CaseSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseSource

    case = factory.SubFactory(CaseFactory)
    url = "https://example.org/report"
    title = "Report"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Press Freedom Group {n}")
    slug = factory.Sequence(lambda n: f"press-freedom-group-{n}")
    country = "MX"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Membership.Role.COORDINATOR


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    name = factory.Faker("name")
    position = "Attorney General"
    institution = "Office of the Attorney General"
    country = "MX"
    email = factory.Sequence(lambda n: f"official{n}@gov.example.org")
    language = "es"


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    organisation = factory.SubFactory(OrganisationFactory)
    title = factory.Sequence(lambda n: f"Justice for journalists, campaign {n}")
    slug = factory.Sequence(lambda n: f"campaign-{n}")
    summary = "Reopen the investigations."
    goal = 1000
    status = Campaign.Status.PUBLISHED
