"""The live count: sharded increments, exact reconcile, convergence without beat, no hot row."""

import importlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import connection
from django.template import Context, Template
from django.urls import reverse

from campaigns.models import Campaign
from idei.celery import app as celery_app
from letters import counts, services
from letters.models import Signature, SignatureCount
from letters.tasks import reconcile_signature_counts
from tests.letters.factories import SignatureFactory, open_campaign, pending_signature

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def shard_rows(campaign):
    return dict(SignatureCount.objects.filter(campaign=campaign).values_list("shard", "confirmed"))


# -- Reading and writing shards ----------------------------------------------------------------


def test_confirmed_count_is_the_sum_of_the_shards():
    campaign = open_campaign()
    SignatureCount.objects.create(campaign=campaign, shard=3, confirmed=5)
    SignatureCount.objects.create(campaign=campaign, shard=9, confirmed=2)

    assert counts.confirmed_count(campaign) == 7


def test_confirmed_count_reads_sixteen_rows_without_counting_signatures(
    django_assert_num_queries,
):
    campaign = open_campaign()
    with django_assert_num_queries(1) as captured:
        counts.confirmed_count(campaign)

    assert 'FROM "letters_signaturecount"' in captured.captured_queries[0]["sql"]


def test_an_increment_creates_the_missing_shard_rows():
    campaign = open_campaign()

    counts.increment(campaign.pk)

    assert len(shard_rows(campaign)) == SignatureCount.SHARDS
    assert sum(shard_rows(campaign).values()) == 1


def test_reconcile_rewrites_the_shards_and_the_campaigns_figure_from_an_exact_count():
    campaign = open_campaign()
    SignatureFactory.create_batch(3, campaign=campaign)
    SignatureFactory(campaign=campaign, confirmed_at=None)
    SignatureCount.objects.create(campaign=campaign, shard=5, confirmed=40)  # drifted

    assert counts.reconcile(campaign.pk) == 3

    assert sum(shard_rows(campaign).values()) == 3
    campaign.refresh_from_db()
    assert campaign.signature_count == 3


def test_reconcile_task_covers_open_campaigns_and_any_whose_figure_drifted():
    open_one = open_campaign()
    closed = open_campaign()
    SignatureFactory.create_batch(2, campaign=open_one)
    SignatureFactory.create_batch(4, campaign=closed)
    Campaign.objects.filter(pk=closed.pk).update(status=Campaign.Status.CLOSED)
    SignatureCount.objects.create(campaign=closed, shard=0, confirmed=1)

    result = reconcile_signature_counts.delay().get()

    assert result == {str(open_one.pk): 2, str(closed.pk): 4}


def test_reconcile_of_a_deleted_campaign_does_nothing():
    campaign = open_campaign()
    pk = campaign.pk
    campaign.delete()

    assert counts.reconcile_counts([pk]) == {}


def test_confirmed_count_template_tag():
    campaign = open_campaign()
    SignatureCount.objects.create(campaign=campaign, shard=1, confirmed=12)

    html = Template("{% load signing %}{% confirmed_count campaign %}").render(
        Context({"campaign": campaign})
    )

    assert html == "12"


# -- What the campaign page shows --------------------------------------------------------------


def test_campaign_page_shows_one_more_after_a_confirmation(
    client, django_capture_on_commit_callbacks
):
    signature, token = pending_signature()
    campaign = signature.campaign
    SignatureFactory.create_batch(4, campaign=campaign)
    counts.reconcile(campaign.pk)
    cache.clear()  # no reconcile "recently": the confirmation reconciles at once
    before = client.get(campaign.get_absolute_url()).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("letters:confirm", args=[token]))

    after = client.get(campaign.get_absolute_url()).content.decode()
    assert '<strong class="signature-count">4</strong>' in before
    assert '<strong class="signature-count">5</strong>' in after


def test_recent_signers_show_first_name_and_country_of_those_who_agreed_only(client):
    campaign = open_campaign()
    SignatureFactory(
        campaign=campaign, name="Lucía Pérez", country="CO", consent_show_first_name=True
    )
    SignatureFactory(campaign=campaign, name="Hidden Person", consent_show_first_name=False)
    SignatureFactory(
        campaign=campaign,
        name="Erased Person",
        consent_show_first_name=True,
        erased_at="2026-01-01T00:00Z",
    )
    SignatureFactory(
        campaign=campaign, name="Pending Person", consent_show_first_name=True, confirmed_at=None
    )

    html = client.get(campaign.get_absolute_url()).content.decode()

    assert "Lucía, Colombia" in html
    assert "Pérez" not in html
    assert "Hidden" not in html and "Erased" not in html and "Pending" not in html


# -- Convergence without beat ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_confirmation_shortly_after_a_reconcile_is_shown_at_the_end_of_the_interval(settings):
    """The embedded default has no beat: the figure still converges by itself."""
    # Long enough that the second confirmation lands inside it even on a busy machine.
    settings.SIGNATURE_COUNT_RECONCILE_SECONDS = 4
    assert celery_app.conf.task_always_eager
    campaign = open_campaign()
    _, first_token = pending_signature(campaign=campaign, email="a@example.org")
    _, second_token = pending_signature(campaign=campaign, email="b@example.org")

    services.confirm(first_token)  # reconciles at once: nothing ran recently
    services.confirm(second_token)  # within the interval: scheduled for its end
    campaign.refresh_from_db()
    shown_at_once = campaign.signature_count

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        campaign.refresh_from_db()
        if campaign.signature_count == 2:
            break
        time.sleep(0.1)
    assert shown_at_once == 1
    assert campaign.signature_count == 2
    assert counts.confirmed_count(campaign) == 2


# -- Concurrency on PostgreSQL -------------------------------------------------------------------

CONCURRENT = 60


def confirm_in_thread(token):
    try:
        started = time.monotonic()
        services.confirm(token)
        return time.monotonic() - started
    finally:
        connection.close()


def pending_batch(campaign, n):
    return [pending_signature(campaign=campaign, email=f"s{i}@example.org")[1] for i in range(n)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_confirmations_all_succeed_spread_over_shards_and_count_exactly(postgres):
    campaign = open_campaign()
    tokens = pending_batch(campaign, CONCURRENT)
    barrier_free = ThreadPoolExecutor(max_workers=12)

    with barrier_free as pool:
        durations = list(pool.map(confirm_in_thread, tokens))

    assert len(durations) == CONCURRENT  # none raised
    assert Signature.objects.confirmed().filter(campaign=campaign).count() == CONCURRENT
    used = [n for n in shard_rows(campaign).values() if n]
    # A reconcile after the first confirmation folds what it counted into shard 0; every later
    # confirmation picks a random shard, so they do not queue on one row.
    assert len(used) >= 6
    assert counts.confirmed_count(campaign) == CONCURRENT
    counts.reconcile_counts()
    campaign.refresh_from_db()
    assert campaign.signature_count == CONCURRENT == counts.confirmed_count(campaign)


@pytest.mark.django_db(transaction=True)
def test_reconciles_running_during_concurrent_confirmations_never_lose_or_double_one(postgres):
    campaign = open_campaign()
    tokens = pending_batch(campaign, CONCURRENT)
    stop = threading.Event()
    reconciles = []

    def keep_reconciling():
        try:
            while not stop.is_set():
                reconciles.append(counts.reconcile(campaign.pk))
        finally:
            connection.close()

    reconciler = threading.Thread(target=keep_reconciling)
    reconciler.start()
    try:
        with ThreadPoolExecutor(max_workers=12) as pool:
            list(pool.map(confirm_in_thread, tokens))
    finally:
        stop.set()
        reconciler.join()

    assert len(reconciles) > 1
    assert counts.confirmed_count(campaign) == CONCURRENT
    counts.reconcile(campaign.pk)
    campaign.refresh_from_db()
    assert campaign.signature_count == CONCURRENT


# -- Beat schedules ------------------------------------------------------------------------------


def beat_migration():
    return importlib.import_module("letters.migrations.0008_beat_schedules")


def test_beat_schedules_exist_under_stable_names_for_registered_tasks():
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    migration = beat_migration()
    migration.create_schedules(apps, None)

    tasks = dict(PeriodicTask.objects.filter(name__in=migration.NAMES).values_list("name", "task"))

    assert set(tasks.values()) == {
        "letters.tasks.sweep_outbox",
        "letters.tasks.reconcile_signature_counts",
        "letters.tasks.purge_unconfirmed_signatures",
    }
    assert set(tasks.values()) <= set(celery_app.tasks)
    reconcile = PeriodicTask.objects.get(task="letters.tasks.reconcile_signature_counts")
    assert (reconcile.interval.every, reconcile.interval.period) == (30, "seconds")
    sweep = PeriodicTask.objects.get(task="letters.tasks.sweep_outbox")
    assert (sweep.interval.every, sweep.interval.period) == (60, "seconds")
    assert PeriodicTask.objects.get(task="letters.tasks.purge_unconfirmed_signatures").crontab


def test_beat_schedules_keep_an_admins_edits_when_created_again():
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    migration = beat_migration()
    migration.create_schedules(apps, None)
    PeriodicTask.objects.filter(task="letters.tasks.sweep_outbox").update(enabled=False)

    migration.create_schedules(apps, None)

    assert PeriodicTask.objects.filter(name__in=migration.NAMES).count() == 3
    assert not PeriodicTask.objects.get(task="letters.tasks.sweep_outbox").enabled


def test_beat_schedules_are_removed_by_the_reverse_migration():
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    migration = beat_migration()
    migration.create_schedules(apps, None)

    migration.delete_schedules(apps, None)

    assert not PeriodicTask.objects.filter(name__in=migration.NAMES).exists()
