"""PreparedGet (idei/db/prepared.py): the same instances as the ORM's get(), from SQL compiled
once, on PostgreSQL and on the embedded default's SQLite."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import Campaign, Target
from idei.db.prepared import PreparedGet, PreparedInsert
from tests.factories import CampaignFactory, TargetFactory
from tests.sqlite import run_on_sqlite

pytestmark = pytest.mark.django_db


PUBLIC_CAMPAIGN = PreparedGet(
    lambda: Campaign.objects.public().select_related("organisation"),
    "slug",
    related=("organisation",),
)
TARGET = PreparedGet(lambda: Target.objects.all(), "pk")


def field_values(instance) -> dict:
    return {
        field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields
    }


def test_a_campaign_and_its_organisation_are_read_as_the_orm_reads_them():
    campaign = CampaignFactory(
        opens_at=timezone.now() - datetime.timedelta(days=1),
        closes_at=timezone.now() + datetime.timedelta(days=30),
        signers_may_edit=True,
        embed_origins="https://example.org",
    )
    expected = Campaign.objects.select_related("organisation").get(pk=campaign.pk)

    with CaptureQueriesContext(connection) as queries:
        found = PUBLIC_CAMPAIGN.get(campaign.slug)
        assert found.organisation.name == expected.organisation.name

    assert len(queries) == 1  # the organisation came with the campaign
    assert field_values(found) == field_values(expected)
    assert field_values(found.organisation) == field_values(expected.organisation)
    assert found._state.adding is False and found._state.db == "default"
    assert found.opens_at.tzinfo is not None and found.signers_may_edit is True


def test_converters_apply_json_dates_and_booleans():
    target = TargetFactory(
        position_translations={"es": "Fiscal General", "ar": "النائب العام"},
        last_verified=datetime.date(2026, 11, 2),
        is_shared=True,
    )

    found = TARGET.get(target.pk)

    assert field_values(found) == field_values(Target.objects.get(pk=target.pk))
    assert found.position_translations["ar"] == "النائب العام"
    assert found.last_verified == datetime.date(2026, 11, 2)


def test_a_draft_is_not_found_and_the_filter_holds_on_every_call():
    draft = CampaignFactory(status=Campaign.Status.DRAFT)
    published = CampaignFactory()

    with pytest.raises(Campaign.DoesNotExist):
        PUBLIC_CAMPAIGN.get(draft.slug)
    with pytest.raises(Campaign.DoesNotExist):
        PUBLIC_CAMPAIGN.get("no-such-campaign")
    assert PUBLIC_CAMPAIGN.get(published.slug).pk == published.pk
    Campaign.objects.filter(pk=published.pk).update(status=Campaign.Status.DRAFT)
    with pytest.raises(Campaign.DoesNotExist):
        PUBLIC_CAMPAIGN.get(published.slug)  # read now, not remembered


def test_hostile_values_are_parameters_not_sql():
    campaign = CampaignFactory()

    for value in ["' OR 1=1 --", "x'; DROP TABLE campaigns_campaign; --", "\x00", "é" * 500]:
        with pytest.raises(Campaign.DoesNotExist):
            PUBLIC_CAMPAIGN.get(value.replace("\x00", ""))
    assert PUBLIC_CAMPAIGN.get(campaign.slug).pk == campaign.pk


def test_a_queryset_that_does_not_read_whole_rows_is_refused():
    campaign = CampaignFactory()
    partial = PreparedGet(lambda: Campaign.objects.only("slug"), "slug")

    with pytest.raises(ValueError, match="whole rows"):
        partial.get(campaign.slug)


SQLITE_SCRIPT = """
import datetime
from django.utils import timezone
from campaigns.models import Campaign, Organisation, Target
from idei.db.prepared import PreparedGet, PreparedInsert
organisation = Organisation.objects.create(name="Grupo", slug="grupo", country="MX")
campaign = Campaign.objects.create(
    organisation=organisation, title="T", slug="c", summary="S", goal=10,
    status=Campaign.Status.PUBLISHED, signers_may_edit=True,
    closes_at=timezone.now() + datetime.timedelta(days=3))
target = Target.objects.create(name="N", position="P", institution="I", country="MX",
    email="n@example.org", position_translations={"es": "Fiscal"}, is_shared=True,
    last_verified=datetime.date(2026, 11, 2))
def values(instance):
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}
found = PreparedGet(lambda: Campaign.objects.public().select_related("organisation"), "slug",
    related=("organisation",)).get("c")
expected = Campaign.objects.select_related("organisation").get(slug="c")
assert values(found) == values(expected), (values(found), values(expected))
assert values(found.organisation) == values(expected.organisation)
assert found.signers_may_edit is True and found.closes_at.tzinfo is not None
assert values(PreparedGet(lambda: Target.objects.all(), "pk").get(target.pk)) == values(
    Target.objects.get(pk=target.pk))
from idei.db.prepared import PreparedInsert
from letters.models import Signature
signature = PreparedInsert(Signature).create(campaign=campaign, name="Ana", email="a@x.org",
    email_key="a@x.org", country="MX", consent_share_name=True, consent_record={"k": "v"})
stored = Signature.objects.get(pk=signature.pk)
assert stored.consent_share_name is True and stored.consent_record == {"k": "v"}
assert stored.created_at is not None and stored.campaign_id == campaign.pk
print("same")
"""


def test_on_sqlite_the_embedded_default_reads_the_same(tmp_path):
    assert run_on_sqlite(SQLITE_SCRIPT, tmp_path) == "same"


# -- PreparedInsert ---------------------------------------------------------------------------


def test_an_insert_stores_what_the_orm_stores():
    from django.db.models.signals import post_save

    from letters.models import Signature

    campaign = CampaignFactory()
    values = {
        "campaign": campaign,
        "name": "Ana López",
        "email": "ana@example.org",
        "email_key": "ana@example.org",
        "country": "MX",
        "city": "Puebla",
        "consent_share_name": True,
        "consent_record": {"texts": {"consent_share_name": "Comparte mi nombre"}, "language": "es"},
        "confirmation_due_at": timezone.now(),
        "confirmation_mails_sent": 1,
    }
    prepared = PreparedInsert(Signature).create(**values)
    orm = Signature.objects.create(
        **{**values, "email": "b@example.org", "email_key": "b@example.org"}
    )

    assert prepared.pk and not prepared._state.adding
    stored = field_values(Signature.objects.get(pk=prepared.pk))
    expected = field_values(Signature.objects.get(pk=orm.pk))
    for differs in ("id", "email", "email_key", "created_at"):
        stored.pop(differs), expected.pop(differs)
    assert stored == expected
    assert Signature.objects.get(pk=prepared.pk).created_at is not None  # auto_now_add ran

    # A unique constraint is the database's: the same IntegrityError as the ORM's.
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        PreparedInsert(Signature).create(**values)

    # With a save signal receiver connected, create() is Django's own (the receiver runs).
    seen = []

    def receiver(sender, instance, created, **kwargs):
        seen.append(instance.email)

    post_save.connect(receiver, sender=Signature, dispatch_uid="test-prepared-insert")
    try:
        PreparedInsert(Signature).create(**{**values, "email": "c@example.org", "email_key": "c"})
    finally:
        post_save.disconnect(dispatch_uid="test-prepared-insert", sender=Signature)
    assert seen == ["c@example.org"]
