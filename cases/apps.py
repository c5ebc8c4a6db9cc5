from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

from .search import register_sqlite_fold


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self):
        connection_created.connect(register_sqlite_fold, dispatch_uid="cases-sqlite-fold")

        from .figures import forget_vocabulary
        from .models import Beat, Medium, Perpetrator

        def vocabulary_changed(sender, **kwargs):
            forget_vocabulary(sender)

        for model in (Medium, Beat, Perpetrator):
            for signal in (post_save, post_delete):
                signal.connect(vocabulary_changed, sender=model, weak=False)
