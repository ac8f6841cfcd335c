"""Single sign-on through the zone's identity provider (统一身份认证), against a real OpenID Connect provider.

Each login is the real authorization-code flow: our /oidc/authenticate/ redirects to the provider, the
provider's form is submitted as a browser would, the provider redirects back to our callback with a code, and
our backend exchanges it at the provider's token endpoint, verifies the signed ID token, reads the userinfo
endpoint and maps the claims. See tests/accounts/provider.py.
"""

import logging
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

import httpx
import jwt
import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import is_password_usable

from sciencecity.accounts import oidc
from sciencecity.accounts.models import User
from sciencecity.audit.models import AuditEvent
from tests.accounts.provider import disable_oidc, enable_oidc, reload_urls, running_provider
from tests.conftest import SUITE_NOW
from tests.factories import DepartmentFactory, EnterpriseFactory, UserFactory

pytestmark = [
    pytest.mark.django_db,
    # authlib's own deprecations, raised inside the provider (oidc-provider-mock 0.3.4 on authlib 1.9)
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),
]

CALLBACK = "http://testserver/oidc/callback/"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def provider():
    with running_provider() as provider:
        yield provider


@pytest.fixture(scope="module")
def client_credentials(provider):
    return provider.register_client(CALLBACK)


@pytest.fixture
def sso(settings, provider, client_credentials):
    """Single sign-on switched on for this test only; the URLs are put back afterwards."""
    enable_oidc(settings, provider, *client_credentials)
    yield provider
    disable_oidc(settings)


@pytest.fixture
def departments():
    return DepartmentFactory(code="planning", name="规划和自然资源局"), DepartmentFactory(
        code="housing", name="住房城乡建委"
    )


def staff_claims(**changes):
    claims = {
        "preferred_username": "zhangsan",
        "name": "张三",
        "email": "zhangsan@zone.example.cn",
        "phone_number": "13800000000",
        "department": "planning",
        "roles": ["department_reviewer", "inspector"],
    }
    return claims | changes


def sso_login(client, provider, sub, *, next_url=None, tamper=None):
    """The whole flow for subject `sub`; returns our callback's response (not followed)."""
    start = client.get("/oidc/authenticate/" + (f"?{urlencode({'next': next_url})}" if next_url else ""))
    assert start.status_code == 302
    assert start["Location"].startswith(f"{provider.url}/oauth2/authorize?")
    callback = provider.authorize(start["Location"], sub)
    assert callback.startswith(CALLBACK)
    if tamper:
        callback = tamper(callback)
    return client.get(callback)


def logged_in_user(client):
    user_id = client.session.get(SESSION_KEY)
    return User.objects.get(pk=user_id) if user_id else None


def roles_of(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def messages_after(client, response) -> str:
    assert response.status_code == 302
    return client.get(response["Location"]).content.decode()


def test_staff_logs_in_with_department_and_roles(client, sso, departments):
    sso.set_claims("staff-1", staff_claims())

    response = sso_login(client, sso, "staff-1", next_url="/problems/worklist/")

    assert response.status_code == 302 and response["Location"] == "/problems/worklist/"
    user = logged_in_user(client)
    assert user.oidc_subject == "staff-1"
    assert (user.username, user.display_name, user.email, user.phone) == (
        "zhangsan",
        "张三",
        "zhangsan@zone.example.cn",
        "13800000000",
    )
    assert user.department == departments[0] and user.enterprise is None
    assert roles_of(user) == {"department_reviewer", "inspector"}
    assert not is_password_usable(user.password), "an SSO user logs in through the provider only"
    assert not user.is_staff and not user.is_superuser
    event = AuditEvent.objects.get(action="accounts.sso_create_user")
    assert event.actor is None and event.target_id == str(user.pk)
    assert event.after["department"] == "planning"
    assert event.after["roles"] == ["department_reviewer", "inspector"]
    assert "张三" in client.get("/me/").content.decode()


def test_enterprise_user_is_linked_by_credit_code(client, sso):
    enterprise = EnterpriseFactory()
    # As a provider may write it: lower case, with spaces.
    written = f"{enterprise.credit_code[:6]} {enterprise.credit_code[6:]}".lower()
    sso.set_claims(
        "legal-person-1", {"preferred_username": "chip-co", "name": "李四", "credit_code": written}
    )

    response = sso_login(client, sso, "legal-person-1")

    assert response.status_code == 302 and response["Location"] == "/me/"
    user = logged_in_user(client)
    assert user.enterprise == enterprise and user.department is None
    assert roles_of(user) == {"applicant"}
    assert (
        AuditEvent.objects.get(action="accounts.sso_create_user").after["enterprise"]
        == enterprise.credit_code
    )


def test_the_next_login_applies_what_the_provider_says_now(client, sso, departments):
    sso.set_claims("staff-1", staff_claims())
    sso_login(client, sso, "staff-1")
    client.post("/logout/")

    sso.set_claims(
        "staff-1", staff_claims(name="张三丰", department="housing", roles=["department_reviewer"])
    )
    sso_login(client, sso, "staff-1")

    user = logged_in_user(client)
    assert user.display_name == "张三丰" and user.department == departments[1]
    assert roles_of(user) == {"department_reviewer"}, "a role the provider no longer grants is removed"
    assert User.objects.filter(oidc_subject="staff-1").count() == 1
    change = AuditEvent.objects.get(action="accounts.sso_update_user")
    assert change.before["roles"] == ["department_reviewer", "inspector"]
    assert change.after["roles"] == ["department_reviewer"]
    assert (change.before["department"], change.after["department"]) == ("planning", "housing")

    client.post("/logout/")
    sso_login(client, sso, "staff-1")
    assert AuditEvent.objects.filter(action="accounts.sso_update_user").count() == 1, "no change, no event"


def test_provider_role_names_are_mapped_to_the_platforms(client, sso, settings, departments):
    settings.OIDC_ROLE_MAP = {"审批人员": "department_reviewer", "部门领导": "department_head"}
    sso.set_claims("staff-2", staff_claims(preferred_username="wangwu", roles="审批人员, 部门领导"))

    sso_login(client, sso, "staff-2")

    assert roles_of(logged_in_user(client)) == {"department_reviewer", "department_head"}


def test_an_administrator_from_the_provider_may_use_the_admin_site_but_is_no_superuser(client, sso):
    sso.set_claims("admin-1", {"preferred_username": "zone-admin", "roles": ["administrator"]})
    sso_login(client, sso, "admin-1")
    user = logged_in_user(client)
    assert user.is_staff and not user.is_superuser
    assert client.get("/admin/").status_code == 200


def test_unknown_credit_code_is_refused_with_a_clear_message_and_no_user(client, sso, caplog):
    sso.set_claims("legal-person-2", {"preferred_username": "ghost-co", "credit_code": "91500000MA5U000000"})

    with caplog.at_level(logging.WARNING, logger="sciencecity.accounts.oidc"):
        response = sso_login(client, sso, "legal-person-2")

    assert response["Location"] == "/login/"
    assert logged_in_user(client) is None
    assert not User.objects.filter(oidc_subject="legal-person-2").exists()
    assert not User.objects.filter(username="ghost-co").exists()
    page = messages_after(client, response)
    assert "统一社会信用代码为“91500000MA5U000000”的企业尚未在本平台登记" in page
    refusal = AuditEvent.objects.get(action="accounts.sso_refuse_login")
    assert refusal.after == {
        "subject": "legal-person-2",
        "reason": "unknown_enterprise",
        "value": "91500000MA5U000000",
    }
    assert "unknown_enterprise" in caplog.text


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        (staff_claims(department="moon-base"), "提供的部门编码“moon-base”在本平台不存在或已停用"),
        (staff_claims(roles=["department_reviewer", "astronaut"]), "授予的角色“astronaut”在本平台不存在"),
        (staff_claims(roles=[]), "未授予您本平台的任何角色"),
        (staff_claims(credit_code="91500000MA5U000000"), "同时提供了所属部门和所属企业"),
    ],
    ids=["unknown-department", "unknown-role", "no-role", "department-and-enterprise"],
)
def test_claims_the_platform_cannot_place_are_refused(client, sso, departments, claims, message):
    sso.set_claims("staff-3", claims)
    response = sso_login(client, sso, "staff-3")
    assert logged_in_user(client) is None
    assert not User.objects.filter(oidc_subject="staff-3").exists()
    assert "重庆市统一身份认证" + message in messages_after(client, response)


def test_an_enterprise_user_cannot_be_given_a_staff_role(client, sso):
    enterprise = EnterpriseFactory()
    sso.set_claims(
        "legal-person-3", {"credit_code": enterprise.credit_code, "roles": ["applicant", "leader"]}
    )
    response = sso_login(client, sso, "legal-person-3")
    assert logged_in_user(client) is None
    assert "企业用户只能担任企业申请人" in messages_after(client, response)


def test_withdrawing_every_role_takes_them_away_and_refuses(client, sso, departments):
    sso.set_claims("staff-1", staff_claims())
    sso_login(client, sso, "staff-1")
    client.post("/logout/")

    sso.set_claims("staff-1", staff_claims(roles=[]))
    response = sso_login(client, sso, "staff-1")

    assert logged_in_user(client) is None
    assert "未授予您本平台的任何角色" in messages_after(client, response)
    assert roles_of(User.objects.get(oidc_subject="staff-1")) == set()
    assert AuditEvent.objects.get(action="accounts.sso_update_user").after["roles"] == []


def test_a_deactivated_user_is_refused_and_left_as_is(client, sso, departments):
    sso.set_claims("staff-1", staff_claims())
    sso_login(client, sso, "staff-1")
    client.post("/logout/")
    User.objects.filter(oidc_subject="staff-1").update(is_active=False)

    sso.set_claims("staff-1", staff_claims(roles=["leader"]))
    response = sso_login(client, sso, "staff-1")

    assert logged_in_user(client) is None
    assert "该账号已停用" in messages_after(client, response)
    assert roles_of(User.objects.get(oidc_subject="staff-1")) == {"department_reviewer", "inspector"}


def test_local_accounts_log_in_with_their_password_and_are_never_taken_over(client, sso, departments):
    local = UserFactory(username="zhangsan", email="zhangsan@zone.example.cn", roles=["window_clerk"])
    login_page = client.get("/login/").content.decode()
    assert "通过重庆市统一身份认证登录" in login_page and 'name="password"' in login_page

    # Same user name and e-mail at the provider: a different person as far as the platform knows.
    sso.set_claims("staff-1", staff_claims())
    sso_login(client, sso, "staff-1")
    sso_user = logged_in_user(client)
    assert sso_user != local and sso_user.username.startswith("zhangsan-")
    client.post("/logout/")

    response = client.post("/login/", {"username": "zhangsan", "password": PASSWORD})
    assert response.status_code == 302 and logged_in_user(client) == local
    local.refresh_from_db()
    assert local.oidc_subject is None and local.department is None
    assert roles_of(local) == {"window_clerk"}


def test_a_tampered_or_replayed_state_is_refused(client, sso, departments):
    sso.set_claims("staff-1", staff_claims())

    def forge_state(url):
        parts = urlparse(url)
        query = parse_qs(parts.query)
        query["state"] = ["forged-by-an-attacker"]
        return urlunparse(parts._replace(query=urlencode(query, doseq=True)))

    response = sso_login(client, sso, "staff-1", tamper=forge_state)
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert logged_in_user(client) is None
    assert "登录请求无效或已过期" in messages_after(client, response)

    replayed = {}

    def keep(url):
        replayed["url"] = url
        return url

    sso_login(client, sso, "staff-1", tamper=keep)
    client.post("/logout/")
    response = client.get(replayed["url"])
    assert response["Location"] == "/login/" and logged_in_user(client) is None
    assert User.objects.filter(oidc_subject="staff-1").count() == 1


def test_refused_logins_do_not_lock_the_address_out(client, sso, departments):
    sso.set_claims("staff-4", staff_claims(department="moon-base"))
    for _attempt in range(6):
        sso_login(client, sso, "staff-4")
    assert not AccessAttempt.objects.exists()

    sso.set_claims("staff-4", staff_claims(preferred_username="zhaoliu"))
    sso_login(client, sso, "staff-4")
    assert logged_in_user(client).username == "zhaoliu"


def test_logout_ends_the_providers_session_too(client, sso, departments):
    sso.set_claims("staff-1", staff_claims())
    sso_login(client, sso, "staff-1")

    response = client.post("/logout/")

    assert response.status_code == 200 and logged_in_user(client) is None
    url = response.context["url"]
    assert url.startswith(f"{sso.url}/oauth2/end_session?")
    query = parse_qs(urlparse(url).query)
    assert query["post_logout_redirect_uri"] == ["http://testserver/login/"]
    assert query["id_token_hint"][0].count(".") == 2
    assert (
        f'<meta http-equiv="refresh" content="0; url={url.replace("&", "&amp;")}">'
        in response.content.decode()
    )
    assert httpx.get(url).status_code == 200  # the provider's end-session page

    local = UserFactory(username="local")
    client.force_login(local, backend="django.contrib.auth.backends.ModelBackend")
    assert client.post("/logout/")["Location"] == "/login/", "a local account just logs out"


def test_explicit_endpoints_without_discovery(client, settings, provider, client_credentials, departments):
    enable_oidc(settings, provider, *client_credentials, discovery=False)
    try:
        provider.set_claims("staff-5", staff_claims(preferred_username="sunqi"))
        sso_login(client, provider, "staff-5")
        assert logged_in_user(client).username == "sunqi"
    finally:
        disable_oidc(settings)


def test_the_id_token_is_checked_on_the_suites_clock(client, sso, client_credentials, departments):
    """The provider runs in this process, on the same frozen clock: the token is issued now and valid."""
    sso.set_claims("staff-1", staff_claims())
    sso_login(client, sso, "staff-1")
    token = jwt.decode(client.session["oidc_id_token"], options={"verify_signature": False})
    # Issued on the suite's clock (which has ticked since the session began), not the machine's.
    assert SUITE_NOW.timestamp() <= token["iat"] <= time.time() + 1
    assert time.time() - token["iat"] < 60
    audience = token["aud"]
    assert client_credentials[0] in ([audience] if isinstance(audience, str) else audience)
    assert token["exp"] > token["iat"]


def test_an_expired_id_token_is_refused(client, settings, departments, caplog):
    with running_provider(access_token_max_age=timedelta(seconds=-120)) as stale:
        enable_oidc(settings, stale, *stale.register_client(CALLBACK))
        try:
            stale.set_claims("staff-1", staff_claims())
            response = sso_login(client, stale, "staff-1")
            assert logged_in_user(client) is None
            assert not User.objects.filter(oidc_subject="staff-1").exists()
            assert "登录请求无效或已过期" in messages_after(client, response)
            assert "Signature has expired" in caplog.text
        finally:
            disable_oidc(settings)


def test_an_id_token_from_another_issuer_is_refused(client, sso, settings, departments):
    settings.OIDC_OP_ISSUER = "https://sso.elsewhere.example.cn"
    sso.set_claims("staff-1", staff_claims())
    response = sso_login(client, sso, "staff-1")
    assert logged_in_user(client) is None
    assert "登录请求无效或已过期" in messages_after(client, response)


def test_an_unreachable_provider_leaves_password_logins_working(client, settings, client_credentials):
    with running_provider() as gone:
        pass  # its port is closed again
    enable_oidc(settings, gone, *client_credentials)
    try:
        local = UserFactory(username="window", roles=["window_clerk"])
        response = client.post("/login/", {"username": "window", "password": PASSWORD})
        assert response.status_code == 302 and logged_in_user(client) == local
        client.post("/logout/")

        response = client.get("/oidc/authenticate/")
        assert response["Location"] == "/login/"
        assert "暂时无法连接重庆市统一身份认证" in messages_after(client, response)
    finally:
        disable_oidc(settings)


def test_without_oidc_the_login_page_has_no_button_and_no_sso_urls(client):
    reload_urls()
    assert "统一身份认证" not in client.get("/login/").content.decode()
    assert client.get("/oidc/authenticate/").status_code == 404


def test_the_settings_are_checked(settings):
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = ""
    settings.OIDC_OP_DISCOVERY_URL = ""
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = "https://sso.example.cn/authorize"
    settings.OIDC_ROLE_MAP = {"审批人员": "reviewer"}
    found = {error.id: error.msg for error in oidc.check_oidc_settings()}
    assert set(found) == {"sciencecity.oidc.E001", "sciencecity.oidc.E002", "sciencecity.oidc.E004"}
    assert "OIDC_OP_TOKEN_ENDPOINT" in found["sciencecity.oidc.E002"]
    assert "'reviewer'" in found["sciencecity.oidc.E004"]
    settings.OIDC_ENABLED = False
    assert oidc.check_oidc_settings() == []
