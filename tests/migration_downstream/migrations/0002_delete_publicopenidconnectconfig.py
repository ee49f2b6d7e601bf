from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("migration_downstream", "0001_initial"),
        ("mozilla_django_oidc_db", "0008_delete_openidconnectconfig"),
    ]

    operations = [
        migrations.DeleteModel(name="PublicOpenIDConnectConfig"),
    ]
