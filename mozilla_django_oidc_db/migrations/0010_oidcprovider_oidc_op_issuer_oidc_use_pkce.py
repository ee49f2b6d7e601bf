# New provider settings: the expected issuer of ID tokens, and PKCE. Providers that
# exist already keep their behaviour (PKCE off); providers created from now on use PKCE.

from django.db import migrations, models


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
