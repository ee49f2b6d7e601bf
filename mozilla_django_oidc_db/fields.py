"""Model fields.

:class:`StringArrayField` stores a list of short strings as a native array column on
PostgreSQL (``varchar(50)[]``, the column type databases created by earlier releases
already have) and as JSON text on every other database, so the package runs on SQLite
and MySQL too.

:class:`ClaimField` and :class:`ClaimFieldDefault` are referenced by historical
migrations and must stay importable under these names.
"""

import json

from django.core import checks, exceptions
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _


class StringArrayField(models.Field):
    description = _("List of strings")
    empty_strings_allowed = False
    default_error_messages = {
        "item_invalid": _("Item %(nth)s in the list did not validate:"),
        "not_a_list": _("Enter a list of strings."),
    }

    def __init__(self, base_field: models.CharField, **kwargs):
        self.base_field = base_field
        super().__init__(**kwargs)

    def contribute_to_class(self, cls, name, **kwargs):
        super().contribute_to_class(cls, name, **kwargs)
        self.base_field.model = cls

    def check(self, **kwargs):
        errors = super().check(**kwargs)
        if not isinstance(self.base_field, models.CharField):
            errors.append(
                checks.Error(
                    "The base field of a StringArrayField must be a CharField.",
                    obj=self,
                    id="mozilla_django_oidc_db.E101",
                )
            )
        return errors

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["base_field"] = self.base_field.clone()
        return name, path, args, kwargs

    def db_type(self, connection):
        if connection.vendor == "postgresql":
            return f"{self.base_field.db_type(connection)}[]"
        return connection.data_types.get("JSONField", "text")

    def cast_db_type(self, connection):
        return self.db_type(connection)

    def db_check(self, connection):
        if connection.vendor in ("postgresql",):
            return None
        return super().db_check(connection)

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None:
            return None
        value = list(value)
        if connection.vendor == "postgresql":
            return value
        return json.dumps(value)

    def from_db_value(self, value, expression, connection):
        if value is None or isinstance(value, list):
            return value
        return json.loads(value)

    def to_python(self, value):
        if isinstance(value, str):
            value = json.loads(value)
        return value

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj))

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        if not isinstance(value, (list, tuple)):
            raise exceptions.ValidationError(self.error_messages["not_a_list"], code="not_a_list")
        for index, item in enumerate(value, start=1):
            try:
                self.base_field.validate(item, model_instance)
                self.base_field.run_validators(item)
            except exceptions.ValidationError as error:
                raise exceptions.ValidationError(
                    [self.error_messages["item_invalid"] % {"nth": index}, *error.messages],
                    code="item_invalid",
                )

    def formfield(self, **kwargs):
        from .forms import StringListFormField

        return super().formfield(
            **{
                "form_class": StringListFormField,
                "max_item_length": self.base_field.max_length,
                **kwargs,
            }
        )


@deconstructible
class ClaimFieldDefault:
    """The default of a :class:`ClaimField`: a claim path given as its segments."""

    def __init__(self, *bits: str):
        self.bits = list(bits)

    def __call__(self) -> list[str]:
        # a copy: every model instance gets its own list
        return list(self.bits)

    def __eq__(self, other):
        return isinstance(other, ClaimFieldDefault) and self.bits == other.bits

    def __hash__(self):
        return hash(tuple(self.bits))


class ClaimField(StringArrayField):
    """A claim path: a list of keys from the claims' root to a value."""

    def __init__(self, *args, **kwargs):
        kwargs["base_field"] = models.CharField(_("claim path segment"), max_length=50)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        del kwargs["base_field"]
        return name, path, args, kwargs
