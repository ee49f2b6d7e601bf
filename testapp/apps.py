from django.apps import AppConfig


class TestappConfig(AppConfig):
    name = "testapp"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from . import plugins  # noqa: F401 - registers the "citizen" plugin
