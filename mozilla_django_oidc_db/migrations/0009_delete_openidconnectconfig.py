# Removes the placeholder left by 0008 from the migration state. It is unmanaged, so no
# SQL runs: databases migrated by a release without this migration converge on the
# same state.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("mozilla_django_oidc_db", "0008_delete_openidconnectconfig"),
    ]

    operations = [
        migrations.DeleteModel(
            name="OpenIDConnectConfig",
        ),
    ]
