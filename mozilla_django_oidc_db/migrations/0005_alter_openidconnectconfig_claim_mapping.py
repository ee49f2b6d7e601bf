# The claim mapping gets the schema-driven editor of django-jsonform; the column stays
# a JSON column.

import django_jsonform.models.fields
from django.db import migrations

import mozilla_django_oidc_db.models


class Migration(migrations.Migration):
    dependencies = [
        ("mozilla_django_oidc_db", "0004_remove_openidconnectconfig_oidc_exempt_urls"),
    ]

    operations = [
        migrations.AlterField(
            model_name="openidconnectconfig",
            name="claim_mapping",
            field=django_jsonform.models.fields.JSONField(
                default=mozilla_django_oidc_db.models.get_claim_mapping,
                verbose_name="claim mapping",
            ),
        ),
    ]
