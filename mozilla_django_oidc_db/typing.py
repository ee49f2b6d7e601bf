"""Type aliases shared by the package (spelled for Python 3.11, which lacks PEP 695).

Importing this module loads nothing of Django's request machinery, so the protocol
modules that use these aliases stay apart from the web framework.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Literal, Protocol, TypeAlias, Union

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django.http.response import HttpResponseBase

EndpointFieldNames: TypeAlias = Literal[
    "oidc_op_authorization_endpoint",
    "oidc_op_token_endpoint",
    "oidc_op_user_endpoint",
    "oidc_op_jwks_endpoint",
    "oidc_op_logout_endpoint",
]

JSONPrimitive: TypeAlias = str | int | float | bool | None
JSONValue: TypeAlias = Union[JSONPrimitive, list["JSONValue"], "JSONObject"]
JSONObject: TypeAlias = MutableMapping[str, JSONValue]

ClaimPath: TypeAlias = Sequence[str]
GetParams: TypeAlias = Mapping[str, str | bytes]


class DjangoView(Protocol):
    def __call__(self, request: HttpRequest) -> HttpResponseBase: ...
