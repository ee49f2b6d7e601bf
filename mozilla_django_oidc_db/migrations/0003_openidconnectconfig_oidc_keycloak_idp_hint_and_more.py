from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mozilla_django_oidc_db", "0002_migrate_to_claim_field"),
    ]

    operations = [
        migrations.AddField(
            model_name="openidconnectconfig",
            name="oidc_keycloak_idp_hint",
            field=models.CharField(
                blank=True,
                max_length=1000,
                verbose_name="Keycloak Identity Provider hint",
            ),
        ),
        migrations.AddField(
            model_name="openidconnectconfig",
            name="oidc_op_logout_endpoint",
            field=models.URLField(
                blank=True,
                max_length=1000,
                verbose_name="Logout endpoint",
            ),
        ),
    ]
