from django.db import migrations


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("mozilla_django_oidc_db", "0002_migrate_to_claim_field"),
    ]

    operations = [
        migrations.CreateModel(
            name="PublicOpenIDConnectConfig",
            fields=[],
            options={"proxy": True},
            bases=("mozilla_django_oidc_db.openidconnectconfig",),
        ),
    ]
