"""The shown count: an exact reconcile in one statement, convergence without beat, no hot row."""

import importlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.models import Campaign
from idei.celery import app as celery_app
from letters import services
from letters.models import Signature
from letters.signing import counts
from letters.signing.tasks import reconcile_signature_counts
from tests.letters.factories import SignatureFactory, open_campaign, pending_signature

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


# -- Reconciling ---------------------------------------------------------------------------------


def test_reconcile_sets_the_campaigns_figure_from_an_exact_count_in_one_statement():
    campaign = open_campaign()
    SignatureFactory.create_batch(3, campaign=campaign)
    SignatureFactory(campaign=campaign, confirmed_at=None)
    Campaign.objects.filter(pk=campaign.pk).update(signature_count=40)  # drifted

    with CaptureQueriesContext(connection) as captured:
        assert counts.reconcile_counts([campaign.pk]) == {campaign.pk: 3}

    statements = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    # The UPDATE with its COUNT, then reading the figures back: nothing else.
    assert len(statements) == 2
    assert statements[0].startswith("UPDATE") and "COUNT(" in statements[0]
    campaign.refresh_from_db()
    assert campaign.signature_count == 3


def test_reconcile_task_covers_open_campaigns_and_any_whose_figure_drifted():
    open_one = open_campaign()
    closed = open_campaign()
    SignatureFactory.create_batch(2, campaign=open_one)
    SignatureFactory.create_batch(4, campaign=closed)
    Campaign.objects.filter(pk=closed.pk).update(status=Campaign.Status.CLOSED, signature_count=1)

    result = reconcile_signature_counts.delay().get()

    assert result == {str(open_one.pk): 2, str(closed.pk): 4}


def test_reconcile_of_a_deleted_campaign_does_nothing():
    campaign = open_campaign()
    pk = campaign.pk
    campaign.delete()

    assert counts.reconcile_counts([pk]) == {}


def test_a_confirmation_writes_no_counter_row():
    """Confirmations never queue on a counter: the count is set by the reconcile alone."""
    _, token = pending_signature()

    with CaptureQueriesContext(connection) as captured:
        services.confirm(token)

    writes = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    assert not any("campaigns_campaign" in sql for sql in writes)


# -- What the campaign page shows --------------------------------------------------------------


def test_campaign_page_shows_one_more_after_a_confirmation(
    client, django_capture_on_commit_callbacks
):
    signature, token = pending_signature()
    campaign = signature.campaign
    SignatureFactory.create_batch(4, campaign=campaign)
    counts.reconcile_counts([campaign.pk])
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
def test_concurrent_confirmations_all_succeed_and_count_exactly(postgres):
    campaign = open_campaign()
    tokens = pending_batch(campaign, CONCURRENT)

    with ThreadPoolExecutor(max_workers=12) as pool:
        durations = list(pool.map(confirm_in_thread, tokens))

    assert len(durations) == CONCURRENT  # none raised
    assert Signature.objects.confirmed().filter(campaign=campaign).count() == CONCURRENT
    counts.reconcile_counts()
    campaign.refresh_from_db()
    assert campaign.signature_count == CONCURRENT


@pytest.mark.django_db(transaction=True)
def test_reconciles_running_during_concurrent_confirmations_never_lose_or_double_one(postgres):
    campaign = open_campaign()
    tokens = pending_batch(campaign, CONCURRENT)
    stop = threading.Event()
    reconciles = []

    def keep_reconciling():
        try:
            while not stop.is_set():
                reconciles.append(counts.reconcile_counts([campaign.pk]))
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
    assert all(0 <= done[campaign.pk] <= CONCURRENT for done in reconciles)
    counts.reconcile_counts([campaign.pk])
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
        "idei.outbox.tasks.sweep_outbox",
        "letters.tasks.reconcile_signature_counts",
        "letters.tasks.purge_unconfirmed_signatures",
    }
    assert set(tasks.values()) <= set(celery_app.tasks)
    reconcile = PeriodicTask.objects.get(task="letters.tasks.reconcile_signature_counts")
    assert (reconcile.interval.every, reconcile.interval.period) == (30, "seconds")
    sweep = PeriodicTask.objects.get(task="idei.outbox.tasks.sweep_outbox")
    assert (sweep.interval.every, sweep.interval.period) == (60, "seconds")
    assert PeriodicTask.objects.get(task="letters.tasks.purge_unconfirmed_signatures").crontab


def test_beat_schedules_keep_an_admins_edits_when_created_again():
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    migration = beat_migration()
    migration.create_schedules(apps, None)
    PeriodicTask.objects.filter(task="idei.outbox.tasks.sweep_outbox").update(enabled=False)

    migration.create_schedules(apps, None)

    assert PeriodicTask.objects.filter(name__in=migration.NAMES).count() == 3
    assert not PeriodicTask.objects.get(task="idei.outbox.tasks.sweep_outbox").enabled


def test_beat_schedules_are_removed_by_the_reverse_migration():
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    migration = beat_migration()
    migration.create_schedules(apps, None)

    migration.delete_schedules(apps, None)

    assert not PeriodicTask.objects.filter(name__in=migration.NAMES).exists()
