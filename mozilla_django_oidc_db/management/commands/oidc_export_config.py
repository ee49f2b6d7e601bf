"""``manage.py oidc_export_config``: write the OIDC providers and clients as YAML."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Write the OIDC providers and clients stored in the database to YAML, in the format "
        "of the django-setup-configuration step AdminOIDCConfigurationStep "
        "(namespace oidc_db_config_admin_auth). Loading the file with "
        "`setup_configuration --yaml-file FILE` or `oidc_import_config FILE` recreates the "
        "same rows. Client secrets are not written: each one becomes a reference to an "
        "environment variable (OIDC_<CLIENT IDENTIFIER>_CLIENT_SECRET, listed at the top of "
        "the file) that must be set when the file is loaded; --include-secrets writes the "
        "secrets themselves. Clients without a provider, a client ID or a registered plugin "
        "are left out (and listed at the top of the file)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "-o",
            "--output",
            default="-",
            help="File to write; '-' (the default) writes to standard output.",
        )
        parser.add_argument(
            "--include-secrets",
            action="store_true",
            help="Write the client secrets into the file instead of environment variable "
            "references. Keep such a file as safe as the database.",
        )

    def handle(self, *args, output: str, include_secrets: bool, **options):
        try:
            from ...setup_configuration.export import export_configuration
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise CommandError(
                "oidc_export_config needs django-setup-configuration: install "
                f"mozilla-django-oidc-db[setup-configuration] ({exc})."
            )

        export = export_configuration(secrets="include" if include_secrets else "env")
        text = export.to_yaml()
        if output == "-":
            self.stdout.write(text, ending="")
        else:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote the OIDC configuration to {output}.")
        if include_secrets:
            self.stderr.write(
                self.style.WARNING("The output contains client secrets: keep it safe.")
            )
        elif export.secret_env_vars:
            self.stderr.write(
                "Set these environment variables before loading the file: "
                + ", ".join(export.secret_env_vars.values())
            )
        for reason in export.skipped:
            self.stderr.write(self.style.WARNING(f"Not exported: {reason}"))
