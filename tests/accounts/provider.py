"""A real OpenID Connect provider for the single sign-on tests: oidc-provider-mock (authlib) served over HTTP on
127.0.0.1 from a thread of the test process, so it runs on the suite's clock like the platform.

Nothing of the protocol is mocked: the platform redirects to the provider's authorization endpoint, the test
submits the provider's authorization form as a browser would (httpx), and the platform's backend calls the
token, userinfo and JWKS endpoints over HTTP and verifies the RS256-signed ID token.
"""

import importlib
import re
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from urllib.parse import urljoin

import httpx
import oidc_provider_mock
import werkzeug.serving
from django.urls import clear_url_caches

BACKEND = "sciencecity.accounts.oidc.ProviderBackend"


@dataclass
class Provider:
    url: str

    def register_client(self, redirect_uri: str) -> tuple[str, str]:
        """Dynamic client registration (RFC 7591): the provider then checks our secret and redirect URI."""
        response = httpx.post(
            f"{self.url}/oauth2/clients",
            json={"redirect_uris": [redirect_uri], "token_endpoint_auth_method": "client_secret_post"},
        )
        response.raise_for_status()
        return response.json()["client_id"], response.json()["client_secret"]

    def set_claims(self, sub: str, claims: dict) -> None:
        """What the provider says about `sub` from now on (its test API)."""
        httpx.put(f"{self.url}/users/{sub}", json=claims).raise_for_status()

    def authorize(self, authorize_url: str, sub: str) -> str:
        """Do what a person does on the provider's page: open it, type the subject, submit. Returns where the
        provider sends the browser back to (our callback, with code and state)."""
        with httpx.Client() as browser:
            page = browser.get(authorize_url)
            assert page.status_code == 200, page.text
            form = re.search(r'<form method="post"([^>]*)>(.*?)</form>', page.text, flags=re.DOTALL)
            assert form and 'name="sub"' in form.group(2), page.text
            action = re.search(r'action="([^"]*)"', form.group(1))
            target = urljoin(authorize_url, unescape(action.group(1))) if action else authorize_url
            answer = browser.post(target, data={"sub": sub})
            assert answer.status_code == 302, answer.text
            return answer.headers["location"]


@contextmanager
def running_provider(**options):
    """The provider on a free port of 127.0.0.1, clients must register, nonces are required; `options` are
    oidc_provider_mock.app's (access_token_max_age: how long its ID tokens are valid)."""
    app = oidc_provider_mock.app(require_client_registration=True, require_nonce=True, **options)
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Provider(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


def reload_urls() -> None:
    """sciencecity.urls includes the OIDC views only when OIDC_ENABLED: import it again after changing it (and
    the library's urls, which read OIDC_CALLBACK_CLASS when imported)."""
    if "mozilla_django_oidc.urls" in sys.modules:
        importlib.reload(sys.modules["mozilla_django_oidc.urls"])
    importlib.reload(importlib.import_module("sciencecity.urls"))
    clear_url_caches()


def enable_oidc(settings, provider: Provider, client_id: str, secret: str, *, discovery: bool = True) -> None:
    """Single sign-on on, as settings.py switches it on, against `provider`: through its discovery document,
    or (discovery=False) with each endpoint named."""
    settings.OIDC_ENABLED = True
    settings.OIDC_PROVIDER_NAME = "重庆市统一身份认证"
    settings.OIDC_RP_CLIENT_ID = client_id
    settings.OIDC_RP_CLIENT_SECRET = secret
    settings.OIDC_TIMEOUT = 5
    if discovery:
        settings.OIDC_OP_DISCOVERY_URL = f"{provider.url}/.well-known/openid-configuration"
    else:
        settings.OIDC_OP_DISCOVERY_URL = ""
        settings.OIDC_OP_ISSUER = provider.url
        settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{provider.url}/oauth2/authorize"
        settings.OIDC_OP_TOKEN_ENDPOINT = f"{provider.url}/oauth2/token"
        settings.OIDC_OP_USER_ENDPOINT = f"{provider.url}/userinfo"
        settings.OIDC_OP_JWKS_ENDPOINT = f"{provider.url}/jwks"
        settings.OIDC_OP_END_SESSION_ENDPOINT = f"{provider.url}/oauth2/end_session"
    if BACKEND not in settings.AUTHENTICATION_BACKENDS:
        settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, BACKEND]
    settings.AXES_WHITELIST_CALLABLE = "sciencecity.accounts.oidc.is_provider_callback"
    reload_urls()


def disable_oidc(settings) -> None:
    from sciencecity.accounts import oidc

    settings.OIDC_ENABLED = False
    oidc._metadata.clear()
    reload_urls()
