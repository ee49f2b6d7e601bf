# Claims become paths (lists of keys) instead of single keys. The old values are not
# carried over: the new columns start from their defaults.

from django.db import migrations

import mozilla_django_oidc_db.fields


class Migration(migrations.Migration):
    dependencies = [
        ("mozilla_django_oidc_db", "0001_initial_to_v015"),
    ]

    operations = [
        migrations.AddField(
            model_name="openidconnectconfig",
            name="new_groups_claim",
            field=mozilla_django_oidc_db.fields.ClaimField(
                blank=True,
                default=mozilla_django_oidc_db.fields.ClaimFieldDefault("roles"),
                verbose_name="groups claim",
            ),
        ),
        migrations.AddField(
            model_name="openidconnectconfig",
            name="new_username_claim",
            field=mozilla_django_oidc_db.fields.ClaimField(
                default=mozilla_django_oidc_db.fields.ClaimFieldDefault("sub"),
                verbose_name="username claim",
            ),
        ),
        migrations.RemoveField(
            model_name="openidconnectconfig",
            name="groups_claim",
        ),
        migrations.RemoveField(
            model_name="openidconnectconfig",
            name="username_claim",
        ),
        migrations.RenameField(
            model_name="openidconnectconfig",
            old_name="new_groups_claim",
            new_name="groups_claim",
        ),
        migrations.RenameField(
            model_name="openidconnectconfig",
            old_name="new_username_claim",
            new_name="username_claim",
        ),
    ]
