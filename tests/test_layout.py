"""The protocol code stays apart from Django's request machinery."""

import subprocess
import sys


def test_protocol_modules_do_not_load_django_http():
    code = (
        "import sys\n"
        "import mozilla_django_oidc_db._protocol.discovery\n"
        "import mozilla_django_oidc_db._protocol.id_token\n"
        "import mozilla_django_oidc_db._protocol.jwks\n"
        "import mozilla_django_oidc_db._protocol.http\n"
        "print(sorted(m for m in sys.modules if m.startswith('django.http')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
