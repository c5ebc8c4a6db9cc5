from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
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
        from . import abuse
        from .models import BlockedEmailDomain

        for signal in (post_save, post_delete):
            signal.connect(
                abuse.forget_blocked_domains,
                sender=BlockedEmailDomain,
                dispatch_uid=f"letters.blocked-domains-{signal is post_save}",
            )
        # The sign form on the campaign page, served from idei.page_cache: each visitor gets
        # their own form timestamp, and the country preselected from their browser's language.
        from idei import page_cache

        from .forms import country_from_accept_language
        from .templatetags.signing import STARTED_PLACEHOLDER, fill_started

        page_cache.register_hole(STARTED_PLACEHOLDER, fill_started)
        page_cache.register_variant(
            "country",
            lambda request: country_from_accept_language(
                request.headers.get("Accept-Language", "")
            ),
        )


def campaign_status_changed(sender, instance, created, raw=False, **kwargs):
    """A closed petition campaign is delivered to its officials (after commit, by a task)."""
    if not created or raw or instance.to_status != "closed":
        return
    from . import delivery

    delivery.on_campaign_closed(instance.campaign)
