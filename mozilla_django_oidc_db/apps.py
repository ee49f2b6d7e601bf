from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class MozillaDjangoOidcDbConfig(AppConfig):
    name = "mozilla_django_oidc_db"
    # the admin's heading for the providers and clients (the label stays the same)
    verbose_name = _("OpenID Connect")
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from . import checks, plugins, signals  # noqa: F401 - registers checks, plugin, receivers

        checks.register_checks()
        post_migrate.connect(
            signals.populate_oidc_config_models,
            sender=self,
            dispatch_uid="oidcdb.populate_oidc_config_models",
        )
        OIDCProvider = self.get_model("OIDCProvider")
        post_save.connect(
            signals.invalidate_provider_caches,
            sender=OIDCProvider,
            dispatch_uid="oidcdb.invalidate_provider_caches_on_save",
        )
        post_delete.connect(
            signals.invalidate_provider_caches,
            sender=OIDCProvider,
            dispatch_uid="oidcdb.invalidate_provider_caches_on_delete",
        )
