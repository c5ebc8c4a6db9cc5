from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext_lazy as _

from idei import page_cache


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self):
        # Imported here, as below: app modules may load only once the app registry is ready.
        from idei.outbox.models import register_kinds

        from .services import MessageKind

        register_kinds(MessageKind.choices, transactional=MessageKind.values)

        # One log line per sign-in lockout (django-axes decides them).
        from axes.signals import user_locked_out

        from .accounts import log_lockout

        user_locked_out.connect(log_lockout, dispatch_uid="campaigns-log-lockout")

        # Whether the user's organisation requires two-factor sign-in, noted at sign-in.
        from django.contrib.auth.signals import user_logged_in

        from .two_factor import note_requirement_at_sign_in

        user_logged_in.connect(note_requirement_at_sign_in, dispatch_uid="campaigns-two-factor")

        # Campaign pages are served from idei.page_cache: whatever they show, changed, makes
        # them render again (after commit, so that no request caches what is about to change).
        from cases.models import Case, ImportRun

        from .models import (
            Campaign,
            CampaignStatusChange,
            CampaignTranslation,
            LetterTemplate,
            Organisation,
            Partnership,
            Target,
        )

        # Imports write cases in bulk (no signals) and then save their ImportRun.
        watched = (
            Campaign,
            CampaignStatusChange,
            CampaignTranslation,
            LetterTemplate,
            Organisation,
            Partnership,
            Target,
            Case,
        )
        for model in (*watched, ImportRun):
            for signal in (post_save, post_delete):
                signal.connect(
                    pages_changed, sender=model, dispatch_uid=f"page-cache-{model.__name__}"
                )
        for through in (Campaign.cases.through, Campaign.targets.through):
            m2m_changed.connect(
                pages_changed, sender=through, dispatch_uid=f"page-cache-{through.__name__}"
            )


def pages_changed(sender, raw=False, **kwargs):
    if raw:  # loaddata: nothing is served from a database being loaded
        return
    transaction.on_commit(page_cache.invalidate)
