from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class LettersConfig(AppConfig):
    name = "letters"
    verbose_name = _("Letters")

    def ready(self):
        # campaigns may not import letters: letters listens for the campaign's status changes.
        from campaigns.models import CampaignStatusChange

        post_save.connect(
            campaign_status_changed,
            sender=CampaignStatusChange,
            dispatch_uid="letters.deliver_on_close",
        )


def campaign_status_changed(sender, instance, created, raw=False, **kwargs):
    """A closed petition campaign is delivered to its officials (after commit, by a task)."""
    if not created or raw or instance.to_status != "closed":
        return
    from . import delivery

    delivery.on_campaign_closed(instance.campaign)
