"""Single sign-on through the zone's government identity provider (统一身份认证), by OpenID Connect.

mozilla-django-oidc speaks the protocol (authorization-code flow, state, nonce, PKCE, the signed ID token);
this module decides who the person is on the platform:

- the user is found by the provider's subject (`User.oidc_subject`), never by e-mail or user name, so a local
  account is never taken over; a first login creates the user (no usable password: they log in through the
  provider only);
- a claim naming a department code makes them staff of that department, a claim carrying a unified social
  credit code makes them a member of that enterprise (enterprise users hold the applicant role only);
- the roles claim, mapped by `OIDC_ROLE_MAP` to the platform's role codes, replaces their roles at every login:
  the provider is the source of truth for SSO users, so a role it no longer grants is removed;
- an unknown department, credit code or role refuses the login with a message saying which, logged and
  audited; a first login and every change the provider makes are audited too.

The claim names are settings (`OIDC_CLAIM_*`), so each zone maps its own provider. The provider's endpoints are
settings as well, or read from its discovery document (`OIDC_OP_DISCOVERY_URL`) at the first login through it
and kept for the life of the process: nothing here touches the network while the platform starts or while a
local account logs in, so local accounts work even when the provider is down.
"""

import logging
import re
import threading
from dataclasses import dataclass
from hashlib import sha256
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.core import checks
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView
from stdnum.cn import uscc

from sciencecity.audit import record

from .models import Department
from .roles import ROLES

logger = logging.getLogger(__name__)

APPLICANT = "applicant"  # the one role of enterprise users

ACTIONS = {
    "accounts.sso_create_user": pgettext_lazy("audit", "统一身份认证首次登录"),
    "accounts.sso_update_user": pgettext_lazy("audit", "统一身份认证更新用户"),
    "accounts.sso_refuse_login": pgettext_lazy("audit", "统一身份认证登录被拒绝"),
}


def accounts_action_name(action: str) -> str | None:
    label = ACTIONS.get(action)
    return str(label) if label is not None else None


# --- the provider's endpoints: settings, or its discovery document ----------------------------------------

# Setting → key of the discovery document (OpenID Connect Discovery 1.0, "Provider Metadata").
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_END_SESSION_ENDPOINT": "end_session_endpoint",
    "OIDC_OP_ISSUER": "issuer",
}

_metadata: dict[str, dict] = {}
_metadata_lock = threading.Lock()


class ProviderUnavailable(Exception):
    """The provider's discovery document could not be read."""


def provider_metadata() -> dict:
    """The discovery document at `OIDC_OP_DISCOVERY_URL` ({} without one), read once per process."""
    url = getattr(settings, "OIDC_OP_DISCOVERY_URL", "")
    if not url:
        return {}
    with _metadata_lock:
        if url not in _metadata:
            try:
                response = requests.get(
                    url,
                    timeout=getattr(settings, "OIDC_TIMEOUT", 10),
                    verify=getattr(settings, "OIDC_VERIFY_SSL", True),
                    proxies=getattr(settings, "OIDC_PROXY", None),
                )
                response.raise_for_status()
                document = response.json()
            except (requests.RequestException, ValueError) as error:
                raise ProviderUnavailable(
                    f"cannot read the provider's discovery document {url}: {error}"
                ) from error
            if not isinstance(document, dict) or not document.get("authorization_endpoint"):
                raise ProviderUnavailable(f"{url} is not an OpenID Connect discovery document")
            _metadata[url] = document
        return _metadata[url]


def oidc_setting(attr: str, *default):
    """mozilla-django-oidc's `import_from_settings`, except that an endpoint left empty comes from the
    provider's discovery document."""
    if attr in DISCOVERED:
        value = getattr(settings, attr, "") or provider_metadata().get(DISCOVERED[attr], "")
        if value:
            return value
        if default:
            return default[0]
        raise ImproperlyConfigured(f"{attr} is not set and no discovery document names it")
    return import_from_settings(attr, *default)


def provider_name() -> str:
    return getattr(settings, "OIDC_PROVIDER_NAME", "") or _("统一身份认证")


# --- from claims to a platform identity ---------------------------------------------------------------------


class LoginRefused(Exception):
    """The provider vouched for the person, but the platform cannot place them: `message` tells them why."""

    def __init__(self, reason: str, message: str, value: str = ""):
        super().__init__(reason, message, value)
        self.reason, self.message, self.value = reason, message, value


@dataclass(frozen=True)
class Identity:
    """Who the claims say the person is, in the platform's terms (nothing written yet)."""

    subject: str
    username: str
    display_name: str
    email: str
    phone: str
    department: Department | None
    enterprise: object | None  # enterprises.Enterprise, reached through the user model (a base app)
    roles: frozenset[str]


def _claim(claims: dict, setting: str, default: str):
    return claims.get(getattr(settings, setting, default) or default)


def _text(value) -> str:
    if isinstance(value, list | tuple):
        value = value[0] if len(value) == 1 else ""
    return "" if value is None else str(value).strip()


def _names(value) -> list[str]:
    """A list claim, or a string of names separated by commas or spaces."""
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else re.split(r"[,\s]+", str(value))
    return [str(item).strip() for item in items if str(item).strip()]


def platform_roles(names: list[str]) -> frozenset[str]:
    """The platform's role codes for the provider's role names; an unknown one refuses the login."""
    role_map = getattr(settings, "OIDC_ROLE_MAP", {}) or {}
    codes = set()
    for name in names:
        code = role_map.get(name, name)
        if code not in ROLES:
            raise LoginRefused(
                "unknown_role",
                _("%(provider)s授予的角色“%(role)s”在本平台不存在,无法登录。请联系系统管理员。")
                % {"provider": provider_name(), "role": name},
                name,
            )
        codes.add(code)
    return frozenset(codes)


def identity_from_claims(claims: dict) -> Identity:
    """Map the provider's claims to the platform: department or enterprise, and roles. Reads only."""
    subject = _text(claims.get("sub"))
    department_code = _text(_claim(claims, "OIDC_CLAIM_DEPARTMENT", "department"))
    credit_code = uscc.compact(_text(_claim(claims, "OIDC_CLAIM_CREDIT_CODE", "credit_code")))
    roles = platform_roles(_names(_claim(claims, "OIDC_CLAIM_ROLES", "roles")))
    department = enterprise = None
    if department_code and credit_code:
        raise LoginRefused(
            "department_and_enterprise",
            _("%(provider)s同时提供了所属部门和所属企业,无法确定您的身份。请联系系统管理员。")
            % {"provider": provider_name()},
            f"{department_code} {credit_code}",
        )
    if credit_code:
        enterprise_model = get_user_model()._meta.get_field("enterprise").related_model
        enterprise = enterprise_model.objects.filter(credit_code=credit_code).first()
        if enterprise is None:
            raise LoginRefused(
                "unknown_enterprise",
                _("统一社会信用代码为“%(code)s”的企业尚未在本平台登记,无法登录。请联系系统管理员。")
                % {"code": credit_code},
                credit_code,
            )
        staff_roles = sorted(roles - {APPLICANT})
        if staff_roles:
            raise LoginRefused(
                "enterprise_staff_role",
                _("企业用户只能担任企业申请人,%(provider)s却授予了“%(role)s”,无法登录。请联系系统管理员。")
                % {"provider": provider_name(), "role": staff_roles[0]},
                staff_roles[0],
            )
        roles = frozenset({APPLICANT})
    elif department_code:
        department = Department.objects.filter(code=department_code, is_active=True).first()
        if department is None:
            raise LoginRefused(
                "unknown_department",
                _("%(provider)s提供的部门编码“%(code)s”在本平台不存在或已停用,无法登录。请联系系统管理员。")
                % {"provider": provider_name(), "code": department_code},
                department_code,
            )
    return Identity(
        subject=subject,
        username=_text(_claim(claims, "OIDC_CLAIM_USERNAME", "preferred_username")) or subject,
        display_name=_text(_claim(claims, "OIDC_CLAIM_NAME", "name"))[:60],
        email=_text(claims.get("email"))[:254],
        phone=_text(claims.get("phone_number"))[:20],
        department=department,
        enterprise=enterprise,
        roles=roles,
    )


# --- writing the user ---------------------------------------------------------------------------------------


def sso_snapshot(user) -> dict:
    """What single sign-on sets on a user, readable in the audit trail (codes, not row ids)."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "phone": user.phone,
        "department": user.department.code if user.department_id else None,
        "enterprise": user.enterprise.credit_code if user.enterprise_id else None,
        "roles": sorted(user.groups.values_list("name", flat=True)) if user.pk else [],
        "is_staff": user.is_staff,
    }


def _free_username(identity: Identity) -> str:
    """The provider's user name if no account has it (never a local account's), else with a suffix from the
    subject."""
    model = get_user_model()
    base = re.sub(r"[^\w.@+-]", "", identity.username)[:120] or "sso"
    suffix = sha256(identity.subject.encode()).hexdigest()
    candidates = [base, f"{base}-{suffix[:6]}", f"{base}-{suffix[:12]}", f"{base}-{suffix[:24]}"]
    for candidate in candidates:
        if not model.objects.filter(username__iexact=candidate).exists():
            return candidate
    raise LoginRefused("username_taken", _("无法为您建立账号,请联系系统管理员。"), identity.username)


@transaction.atomic
def _save(identity: Identity):
    """Create or update the user of `identity.subject`; audit a creation and any change. → (user, created)"""
    model = get_user_model()
    user = model.objects.select_for_update().filter(oidc_subject=identity.subject).first()
    created = user is None
    if created:
        user = model(username=_free_username(identity), oidc_subject=identity.subject)
        user.set_unusable_password()
        before = None
    else:
        before = sso_snapshot(user)
    user.display_name = identity.display_name or user.display_name
    user.email = identity.email or user.email
    user.phone = identity.phone or user.phone
    user.department = identity.department
    user.enterprise = identity.enterprise
    # The admin site is the administrators' (as in the demo); never a superuser through the provider.
    user.is_staff = "administrator" in identity.roles
    user.save()
    user.groups.set(Group.objects.filter(name__in=identity.roles))
    user.__dict__.pop("_role_codes", None)
    after = sso_snapshot(user)
    if created:
        record(None, "accounts.sso_create_user", user, before=None, after=after)
    elif after != before:
        record(None, "accounts.sso_update_user", user, before=before, after=after)
    return user, created


def save_identity(identity: Identity):
    try:
        return _save(identity)
    except IntegrityError:
        # The same person's first login in two tabs at once: the other one created the user; update it.
        return _save(identity)


def refuse(request, refusal: LoginRefused, subject: str, user=None) -> None:
    """Log and audit a refused login, and keep the message for the callback view to show."""
    logger.warning("single sign-on refused for subject %r: %s %r", subject, refusal.reason, refusal.value)
    record(
        None,
        "accounts.sso_refuse_login",
        user,
        after={"subject": subject, "reason": refusal.reason, "value": refusal.value},
    )
    if request is not None:
        request.oidc_refusal = refusal.message


def login_from_claims(request, claims: dict):
    """The user for the provider's verified claims, created or brought up to date; None when refused."""
    subject = _text(claims.get("sub"))
    existing = get_user_model().objects.filter(oidc_subject=subject).first()
    try:
        if existing is not None and not existing.is_active:
            raise LoginRefused("inactive", _("该账号已停用,请联系系统管理员。"), subject)
        identity = identity_from_claims(claims)
        if not identity.roles:
            if existing is not None:
                save_identity(identity)  # the provider withdrew every role: so does the platform
            raise LoginRefused(
                "no_role",
                _("%(provider)s未授予您本平台的任何角色,无法登录。请联系本单位管理员。")
                % {"provider": provider_name()},
            )
        return save_identity(identity)[0]
    except LoginRefused as refusal:
        refuse(request, refusal, subject, existing)
        return None


# --- what mozilla-django-oidc calls -------------------------------------------------------------------------


def _lazy(attr, *default):
    return property(lambda self: oidc_setting(attr, *default))


class ProviderBackend(OIDCAuthenticationBackend):
    """The authentication backend of single sign-on (settings.AUTHENTICATION_BACKENDS when OIDC is enabled)."""

    get_settings = staticmethod(oidc_setting)

    # Read when a provider's answer is checked, not when Django builds the backend (at every password login and
    # every request of a signed-in user): reading them may fetch the discovery document.
    OIDC_OP_TOKEN_ENDPOINT = _lazy("OIDC_OP_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = _lazy("OIDC_OP_USER_ENDPOINT")
    OIDC_OP_JWKS_ENDPOINT = _lazy("OIDC_OP_JWKS_ENDPOINT", None)
    OIDC_RP_CLIENT_ID = _lazy("OIDC_RP_CLIENT_ID")
    OIDC_RP_CLIENT_SECRET = _lazy("OIDC_RP_CLIENT_SECRET")
    OIDC_RP_SIGN_ALGO = _lazy("OIDC_RP_SIGN_ALGO", "RS256")
    OIDC_RP_IDP_SIGN_KEY = _lazy("OIDC_RP_IDP_SIGN_KEY", None)

    def __init__(self, *args, **kwargs):
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        # Only the callback view's call (nonce, code_verifier); a password login is the ModelBackend's.
        if request is None or "nonce" not in kwargs or set(kwargs) - {"nonce", "code_verifier"}:
            return None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        """The library checks the signature, the algorithm, the expiry and the nonce; check that the token was
        issued by our provider to us as well (OpenID Connect Core 3.1.3.7)."""
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token was not issued to this client.")
        issuer = oidc_setting("OIDC_OP_ISSUER", "")
        if issuer and payload.get("iss") != issuer:
            raise SuspiciousOperation("The ID token was not issued by the configured provider.")
        return payload

    def retrieve_matching_jwk(self, token):
        header = jwt.get_unverified_header(token)
        if "kid" in header:
            return super().retrieve_matching_jwk(token)
        # OpenID Connect Core 10.1: a token may name no key when the provider's key set holds only one.
        response = requests.get(
            self.OIDC_OP_JWKS_ENDPOINT,
            verify=self.get_settings("OIDC_VERIFY_SSL", True),
            timeout=self.get_settings("OIDC_TIMEOUT", None),
            proxies=self.get_settings("OIDC_PROXY", None),
        )
        response.raise_for_status()
        keys = [
            key
            for key in response.json().get("keys", [])
            if key.get("use", "sig") == "sig" and key.get("alg", header.get("alg")) == header.get("alg")
        ]
        if len(keys) != 1:
            raise SuspiciousOperation("The ID token names no key (kid) and the provider has several.")
        return jwt.PyJWK(keys[0])

    def verify_claims(self, claims):
        return bool(_text(claims.get("sub")))

    def get_or_create_user(self, access_token, id_token, payload):
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if _text(userinfo.get("sub")) != _text(payload.get("sub")):
            raise SuspiciousOperation("The userinfo subject differs from the ID token's.")
        claims = {**payload, **userinfo}
        if not self.verify_claims(claims):
            raise SuspiciousOperation("The provider named no subject.")
        return login_from_claims(self.request, claims)

    def get_user(self, user_id):
        # ModelBackend's: a deactivated user's session ends (the library's would keep it).
        return ModelBackend.get_user(self, user_id)


class AuthenticateView(OIDCAuthenticationRequestView):
    """/oidc/authenticate/: redirect to the provider (its address may come from discovery)."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(**kwargs)

    def get(self, request):
        try:
            self.OIDC_OP_AUTH_ENDPOINT = self.get_settings("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except ProviderUnavailable as error:
            logger.error("single sign-on unavailable: %s", error)
            messages.error(request, unavailable_message())
            return HttpResponseRedirect(resolve_url(settings.LOGIN_URL))
        self.OIDC_RP_CLIENT_ID = self.get_settings("OIDC_RP_CLIENT_ID")
        return super().get(request)


def unavailable_message() -> str:
    return _("暂时无法连接%(provider)s,请稍后再试,或使用账号密码登录。") % {"provider": provider_name()}


class CallbackView(OIDCAuthenticationCallbackView):
    """/oidc/callback/: the library's, with the reason of a failure shown on the login page."""

    get_settings = staticmethod(oidc_setting)

    @property
    def failure_url(self):
        return resolve_url(settings.LOGIN_URL)

    def get(self, request):
        try:
            return super().get(request)
        except (SuspiciousOperation, jwt.InvalidTokenError) as error:
            # A state not issued to this browser, a replayed callback, a token that does not verify or expired.
            logger.warning("single sign-on callback refused: %s", error)
            request.oidc_refusal = _("登录请求无效或已过期,请重新登录。")
        except (requests.RequestException, ProviderUnavailable) as error:
            logger.error("single sign-on failed talking to the provider: %s", error)
            request.oidc_refusal = unavailable_message()
        return self.login_failure()

    def login_failure(self):
        message = getattr(self.request, "oidc_refusal", None)
        if message is None:
            user = getattr(self, "user", None)
            if user is not None and not user.is_active:
                message = _("该账号已停用,请联系系统管理员。")
            elif self.request.GET.get("error"):
                message = _("未能通过%(provider)s登录:认证未完成。") % {"provider": provider_name()}
            else:
                message = _("未能通过%(provider)s登录,请重试。") % {"provider": provider_name()}
        messages.error(self.request, message)
        return super().login_failure()


def provider_logout_url(request) -> str | None:
    """Where to end the provider's session of this SSO login (RP-initiated logout), or None: not an SSO
    session, or a provider without an end_session endpoint. Read before the session is flushed."""
    if not getattr(settings, "OIDC_ENABLED", False):
        return None
    id_token = request.session.get("oidc_id_token")
    if not id_token:
        return None
    try:
        endpoint = oidc_setting("OIDC_OP_END_SESSION_ENDPOINT", "")
    except ProviderUnavailable as error:
        logger.error("cannot end the provider's session: %s", error)
        return None
    if not endpoint:
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": request.build_absolute_uri(resolve_url(settings.LOGOUT_REDIRECT_URL)),
            "client_id": settings.OIDC_RP_CLIENT_ID,
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def logout_redirect_url(request) -> str:
    """For the library's /oidc/logout/ (OIDC_OP_LOGOUT_URL_METHOD): the provider's logout, or the login page."""
    return provider_logout_url(request) or resolve_url(settings.LOGOUT_REDIRECT_URL)


def is_provider_callback(request, credentials=None) -> bool:
    """AXES_WHITELIST_CALLABLE: a refused SSO login is not a password guess (the provider authenticated the
    person), so django-axes neither counts it nor locks the address out of single sign-on."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.url_name != "oidc_authentication_callback":
        return False
    return not (credentials or {}).get("password")


# --- configuration checks (manage.py check) -----------------------------------------------------------------


@checks.register(checks.Tags.security)
def check_oidc_settings(app_configs=None, **kwargs):
    if not getattr(settings, "OIDC_ENABLED", False):
        return []
    errors = []

    def error(number, message):
        errors.append(checks.Error(message, id=f"sciencecity.oidc.E{number:03d}"))

    if not settings.OIDC_RP_CLIENT_ID or not settings.OIDC_RP_CLIENT_SECRET:
        error(1, "OIDC_ENABLED needs OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET.")
    if not settings.OIDC_OP_DISCOVERY_URL:
        needed = ["OIDC_OP_AUTHORIZATION_ENDPOINT", "OIDC_OP_TOKEN_ENDPOINT", "OIDC_OP_USER_ENDPOINT"]
        if settings.OIDC_RP_SIGN_ALGO.startswith(("RS", "ES")) and not getattr(
            settings, "OIDC_RP_IDP_SIGN_KEY", None
        ):
            needed.append("OIDC_OP_JWKS_ENDPOINT")
        missing = [name for name in needed if not getattr(settings, name, "")]
        if missing:
            error(2, f"OIDC_ENABLED needs OIDC_OP_DISCOVERY_URL or {', '.join(missing)}.")
    for name in (
        "OIDC_CLAIM_USERNAME",
        "OIDC_CLAIM_DEPARTMENT",
        "OIDC_CLAIM_ROLES",
        "OIDC_CLAIM_CREDIT_CODE",
    ):
        if not getattr(settings, name, ""):
            error(3, f"{name} must name a claim.")
    for external, code in (getattr(settings, "OIDC_ROLE_MAP", {}) or {}).items():
        if code not in ROLES:
            error(
                4, f"OIDC_ROLE_MAP maps {external!r} to {code!r}, which is not a role ({', '.join(ROLES)})."
            )
    return errors
