"""Campaigns close on their closing date, and that starts the petition's delivery."""

import datetime

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from campaigns.models import Campaign, CampaignStatusChange
from campaigns.tasks import close_expired_campaigns
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def test_a_published_campaign_past_its_closing_date_is_closed_and_recorded():
    past = CampaignFactory(closes_at=timezone.now() - datetime.timedelta(minutes=1))
    assert close_expired_campaigns() == 1
    past.refresh_from_db()
    assert past.status == Campaign.Status.CLOSED
    change = CampaignStatusChange.objects.get(campaign=past)
    assert (change.from_status, change.to_status, change.changed_by) == (
        "published",
        "closed",
        None,
    )


def test_open_drafts_and_already_closed_campaigns_are_left_alone():
    still_open = CampaignFactory(closes_at=timezone.now() + datetime.timedelta(days=1))
    no_date = CampaignFactory(closes_at=None)
    draft = CampaignFactory(
        status=Campaign.Status.DRAFT, closes_at=timezone.now() - datetime.timedelta(days=1)
    )
    assert close_expired_campaigns() == 0
    for campaign in (still_open, no_date, draft):
        status = campaign.status
        campaign.refresh_from_db()
        assert campaign.status == status


def test_running_twice_closes_once():
    CampaignFactory(closes_at=timezone.now() - datetime.timedelta(minutes=1))
    assert close_expired_campaigns() == 1
    assert close_expired_campaigns() == 0
    assert CampaignStatusChange.objects.count() == 1


def test_beat_runs_it():
    task = PeriodicTask.objects.get(task="campaigns.tasks.close_expired_campaigns_task")
    assert task.enabled and task.interval.every == 5
