from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AtlasConfig(AppConfig):
    name = "atlas"
    verbose_name = _("Bildungsatlas")

    def ready(self):
        from atlas.request_log import install_record_factory

        install_record_factory()  # every log record carries the running request's id

        from atlas.models import delete_synthetic_accounts
        from measures import synthetic

        synthetic.deleted.connect(delete_synthetic_accounts, dispatch_uid="atlas-synthetic")
