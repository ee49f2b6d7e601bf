# Drops the legacy configuration (its data lives on in the provider and client since
# 0007). An unmanaged placeholder of the same name stays in the migration state only,
# so that downstream migrations whose models name it as a base keep loading; 0009
# removes it from the state.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mozilla_django_oidc_db", "0007_migrate_oidc_data"),
    ]

    operations = [
        migrations.DeleteModel(
            name="OpenIDConnectConfig",
        ),
        migrations.CreateModel(
            name="OpenIDConnectConfig",
            fields=[
                (
                    "id",
                    models.AutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
            ],
            options={
                "managed": False,
            },
        ),
    ]
