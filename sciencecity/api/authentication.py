"""`Authorization: Bearer <token>` for programs. Sessions (for the pages' own scripts) come after it."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .services import authenticate_secret


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].decode(errors="replace").lower() != self.keyword.lower():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Authorization 头的格式应为“Bearer 令牌”。"))
        token = authenticate_secret(parts[1].decode(errors="replace"))
        if token is None:
            raise exceptions.AuthenticationFailed(_("令牌无效或已吊销。"))
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "sciencecity.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token created on /me/tokens/ or by an administrator.",
        }
