from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboundConfig(AppConfig):
    name = "idei.inbound"
    label = "inbound"
    verbose_name = _("Inbound mail")

    def ready(self):
        # Imported here: app modules may load only once the app registry is ready.
        from . import webhooks

        webhooks.connect()
