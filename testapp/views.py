from django.contrib import messages
from django.http import HttpResponse

from mozilla_django_oidc_db.views import OIDCAuthenticationRequestInitView

from .plugins import CITIZEN_IDENTIFIER, CITIZEN_SESSION_KEY

_citizen_init = OIDCAuthenticationRequestInitView.as_view(
    identifier=CITIZEN_IDENTIFIER, allow_next_from_query=False
)


def citizen_login(request):
    return _citizen_init(request, return_url="/citizen/")


def citizen_home(request):
    citizen = request.session.get(CITIZEN_SESSION_KEY)
    if not citizen:
        return HttpResponse("not logged in", status=401)
    return HttpResponse(f"citizen {citizen['id']} {citizen['name']}")


def login_failed(request):
    text = "; ".join(str(m) for m in messages.get_messages(request))
    return HttpResponse(f"login failed: {text}", status=200)
