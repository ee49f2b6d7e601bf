"""A stand-in for a downstream project's app whose migrations name ours.

Projects built on the original package have migrations that depend on
``("mozilla_django_oidc_db", "0002_migrate_to_claim_field")`` (a proxy of the legacy
configuration) and ``("mozilla_django_oidc_db", "0008_delete_openidconnectconfig")``
(dropping that proxy once the legacy model is gone). These must keep loading.
"""
