# New provider settings: the expected issuer of ID tokens, and PKCE. Providers that
# exist already keep their behaviour: PKCE as the project's OIDC_USE_PKCE setting had
# it (the setting applied to every client before PKCE became a provider field);
# providers created from now on use PKCE.

from django.conf import settings
from django.db import migrations, models


def keep_pkce_setting(apps, schema_editor):
    if getattr(settings, "OIDC_USE_PKCE", False):
        OIDCProvider = apps.get_model("mozilla_django_oidc_db", "OIDCProvider")
        OIDCProvider.objects.using(schema_editor.connection.alias).update(oidc_use_pkce=True)


class Migration(migrations.Migration):
    dependencies = [
        ("mozilla_django_oidc_db", "0009_delete_openidconnectconfig"),
    ]

    operations = [
        migrations.AddField(
            model_name="oidcprovider",
            name="oidc_op_issuer",
            field=models.CharField(
                blank=True,
                help_text=(
                    "The issuer identifier of the provider: ID tokens must carry exactly "
                    "this value in their `iss` claim. Filled in from the discovery document."
                ),
                max_length=1000,
                verbose_name="Issuer",
            ),
        ),
        # the column default fills existing rows with False ...
        migrations.AddField(
            model_name="oidcprovider",
            name="oidc_use_pkce",
            field=models.BooleanField(
                blank=True,
                default=False,
                help_text=(
                    "Protect the authorization code with PKCE (S256), as RFC 9700 recommends."
                ),
                verbose_name="Use PKCE",
            ),
        ),
        # ... unless the project had turned PKCE on for all clients ...
        migrations.RunPython(keep_pkce_setting, migrations.RunPython.noop),
        # ... and new rows get True (a Python-side default: no SQL)
        migrations.AlterField(
            model_name="oidcprovider",
            name="oidc_use_pkce",
            field=models.BooleanField(
                blank=True,
                default=True,
                help_text=(
                    "Protect the authorization code with PKCE (S256), as RFC 9700 recommends."
                ),
                verbose_name="Use PKCE",
            ),
        ),
    ]
