"""``manage.py oidc_import_config``: load OIDC providers and clients from YAML, or preview it."""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = (
        "Create or update the OIDC providers and clients described in the "
        "oidc_db_config_admin_auth section of a YAML file (the format of the "
        "django-setup-configuration step AdminOIDCConfigurationStep and of "
        "oidc_export_config), and report every row and field that changed (client secrets "
        "masked). The step runs whatever oidc_db_config_enable says, and all or nothing: "
        "on any error nothing is changed. With --dry-run the changes are only reported "
        "(the import runs in a transaction that is rolled back; discovery documents are "
        "still fetched)."
    )

    def add_arguments(self, parser):
        parser.add_argument("yaml_file", help="The YAML file to load.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Report what would change, and change nothing.",
        )

    def handle(self, *args, yaml_file: str, dry_run: bool, **options):
        try:
            from django_setup_configuration.exceptions import ValidateRequirementsFailure
            from django_setup_configuration.runner import SetupConfigurationRunner

            from ...setup_configuration.changes import compare, describe, take_snapshot
            from ...setup_configuration.steps import AdminOIDCConfigurationStep
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise CommandError(
                "oidc_import_config needs django-setup-configuration: install "
                f"mozilla-django-oidc-db[setup-configuration] ({exc})."
            )

        path = Path(yaml_file)
        if not path.is_file():
            raise CommandError(f"The YAML file {yaml_file} does not exist.")
        step = AdminOIDCConfigurationStep
        try:
            runner = SetupConfigurationRunner(
                steps=[step],
                yaml_source=path,
                # run the step whatever the file's enable flag says: the command is explicit
                object_source={step.enable_setting: True},
            )
            runner.validate_all_requirements()
        except ValidateRequirementsFailure as failure:
            for exc in failure.exceptions:
                self.stderr.write(textwrap.indent(str(exc.validation_error), "    "))
            raise CommandError(f"{yaml_file} is not a valid OIDC configuration.")
        except Exception as exc:
            raise CommandError(f"{yaml_file} could not be loaded: {exc}")

        with transaction.atomic():
            before = take_snapshot()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                (result,) = runner.execute_all()
            for warning in caught:
                self.stderr.write(self.style.WARNING(f"Warning: {warning.message}"))
            if result.run_exception is not None:
                self.stderr.write(textwrap.indent(str(result.run_exception), "    "))
                raise CommandError(f"The import of {yaml_file} failed; nothing was changed.")
            changes = compare(before, take_snapshot())
            if dry_run:
                transaction.set_rollback(True)

        self.stdout.write(describe(changes))
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was changed."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {yaml_file}."))
