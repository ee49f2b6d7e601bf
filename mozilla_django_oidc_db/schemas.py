from django.utils.translation import gettext_lazy as _

_STRING_LIST = {"type": "array", "items": {"type": "string"}}

ADMIN_OPTIONS_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": _("Options"),
    "description": _("OIDC configuration options"),
    "type": "object",
    "additionalProperties": True,
    "properties": {
        "user_settings": {
            "title": _("User settings"),
            "description": _("Settings for managing local Django users"),
            "type": "object",
            "additionalProperties": True,
            "required": ["claim_mappings"],
            "properties": {
                "claim_mappings": {
                    "title": _("Claim mappings"),
                    "description": _("Mapping from user-model fields to OIDC claim paths"),
                    "type": "object",
                    "additionalProperties": True,
                    "required": ["username"],
                    "properties": {
                        "username": {
                            "title": _("Username"),
                            "description": _("The claim path to use for the username field"),
                            **_STRING_LIST,
                        },
                        "first_name": {
                            "title": _("First name"),
                            "description": _("The claim path to use for the first name field"),
                            **_STRING_LIST,
                        },
                        "last_name": {
                            "title": _("Last name"),
                            "description": _("The claim path to use for the last name field"),
                            **_STRING_LIST,
                        },
                        "email": {
                            "title": _("Email"),
                            "description": _("The claim path to use for the email field"),
                            **_STRING_LIST,
                        },
                    },
                },
                "username_case_sensitive": {
                    "title": _("Username case sensitive"),
                    "description": _(
                        "Whether the username should be looked up case sensitively. "
                        "Defaults to true."
                    ),
                    "type": "boolean",
                },
                "sensitive_claims": {
                    "title": _("Sensitive claims"),
                    "description": _(
                        "The claim paths whose values are masked in the logs. The username "
                        "claim is always masked."
                    ),
                    "type": "array",
                    "items": _STRING_LIST,
                },
            },
        },
        "groups_settings": {
            "title": _("Groups settings"),
            "description": _("Settings to put created users in the right Django groups"),
            "type": "object",
            "properties": {
                "claim_mapping": {
                    "title": _("Groups claim"),
                    "description": _("The claim path holding the names of the user's groups"),
                    **_STRING_LIST,
                },
                "sync": {
                    "title": _("Create missing groups"),
                    "description": _(
                        "Create local groups for names in the groups claim when they "
                        "do not exist yet"
                    ),
                    "type": "boolean",
                },
                "sync_pattern": {
                    "title": _("Pattern for new groups"),
                    "description": _(
                        "Glob a group name must match to be created locally (when sync is on)"
                    ),
                    "type": "string",
                },
                "default_groups": {
                    "title": _("Default groups"),
                    "description": _("Names of the groups every OIDC user is put into"),
                    **_STRING_LIST,
                },
                "make_users_staff": {
                    "title": _("Make users staff"),
                    "description": _(
                        "Users are flagged as staff when they log in through OIDC. "
                        "This gives them no permissions by itself."
                    ),
                    "type": "boolean",
                },
                "superuser_group_names": {
                    "title": _("Superuser group names"),
                    "description": _(
                        "Users in any of these groups (from the groups claim) are made "
                        "superuser; users in none of them lose superuser status"
                    ),
                    **_STRING_LIST,
                },
            },
        },
    },
}
