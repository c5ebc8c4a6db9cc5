from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _

from .search import register_sqlite_fold


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self):
        connection_created.connect(register_sqlite_fold, dispatch_uid="cases-sqlite-fold")
