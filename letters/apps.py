from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class LettersConfig(AppConfig):
    name = "letters"
    verbose_name = _("Letters")

    def ready(self):
        # Imported here: app modules may load only once the app registry is ready.
        from campaigns.signals import campaign_closed
        from idei import metrics as platform_metrics
        from idei import page_cache
        from idei.inbound import routes
        from idei.outbox.models import register_kinds
        from idei.outbox.signals import address_bounced, address_complained

        from . import mail_feedback, metrics
        from .delivery import replies
        from .delivery.tasks import deliver_petition_after_commit
        from .models import TRANSACTIONAL, BlockedEmailDomain, MessageKind, WatchlistEntry
        from .responses import services as responses
        from .signing import abuse, watchlist
        from .signing.forms import country_from_accept_language
        from .signing.sources import code_from
        from .templatetags.signing import STARTED_PLACEHOLDER, fill_started
        from .views import (
            EMBED_STARTED_PLACEHOLDER,
            PENDING_COOKIE,
            SIGNED_COOKIE,
            fill_embed_started,
        )

        register_kinds(
            MessageKind.choices,
            transactional=TRANSACTIONAL,
            paced=[MessageKind.LETTER, MessageKind.DIGEST, MessageKind.PETITION],
        )
        # Officials' replies: reply+<token>@INBOUND_EMAIL_DOMAIN, beside the bounce route.
        routes.register("reply", accepts=replies.accepts, handle=responses.receive_reply)
        platform_metrics.register_collector(metrics.signature_figures)
        address_bounced.connect(mail_feedback.mark_bounced, dispatch_uid="letters.bounced")
        address_complained.connect(
            mail_feedback.unsubscribe_after_complaint, dispatch_uid="letters.complained"
        )
        campaign_closed.connect(
            lambda sender, campaign, **kwargs: deliver_petition_after_commit(campaign),
            dispatch_uid="letters.deliver_petition_on_close",
            weak=False,
        )
        for signal in (post_save, post_delete):
            signal.connect(
                abuse.forget_blocked_domains,
                sender=BlockedEmailDomain,
                dispatch_uid=f"letters.blocked-domains-{signal is post_save}",
            )
        for signal in (post_save, post_delete):
            signal.connect(
                watchlist.forget_blocked,
                sender=WatchlistEntry,
                dispatch_uid=f"letters.watchlist-{signal is post_save}",
            )
        # The sign form on the campaign page, served from idei.page_cache: each visitor gets
        # their own form timestamp, and the country preselected from their browser's language.
        page_cache.register_hole(STARTED_PLACEHOLDER, fill_started)
        # A signer who returns sees where they stand, from their own cookies (views.py).
        page_cache.register_own_cookie(SIGNED_COOKIE)
        page_cache.register_own_cookie(PENDING_COOKIE)
        page_cache.register_hole(EMBED_STARTED_PLACEHOLDER, fill_embed_started)
        # A shared link's `?source=` (or a partner's code) is signed into the form: one page
        # per code, still served from the cache in a spike of shared links.
        page_cache.register_variant("source", code_from, query_param=True)
        page_cache.register_variant(
            "country",
            lambda request: country_from_accept_language(
                request.headers.get("Accept-Language", "")
            ),
        )
