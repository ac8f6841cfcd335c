"""In the browser: a staff member clicks the single sign-on button, authorizes at the real OpenID Connect
provider's own page (oidc-provider-mock on 127.0.0.1, see tests/accounts/provider.py), lands on the workbench
with the department and roles the provider gave, and logging out ends the provider's session too."""

import pytest

from tests.accounts.provider import disable_oidc, enable_oidc, running_provider
from tests.e2e.test_content_security_policy import COLLECT, violations
from tests.factories import DepartmentFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),  # authlib's, in the provider
]


@pytest.fixture
def sso(settings, live_server):
    with running_provider() as provider:
        enable_oidc(settings, provider, *provider.register_client(f"{live_server.url}/oidc/callback/"))
        yield provider
        disable_oidc(settings)


def test_the_sso_button_logs_in_through_the_provider_and_out_of_it(page, sso, live_server, screenshot):
    DepartmentFactory(code="planning", name="规划和自然资源局")
    sso.set_claims(
        "staff-1",
        {
            "preferred_username": "zhangsan",
            "name": "张三",
            "department": "planning",
            "roles": ["department_reviewer"],
        },
    )
    page.add_init_script(COLLECT)

    page.goto("/me/")
    assert "/login/" in page.url
    page.get_by_role("heading", name="登录").wait_for()
    assert page.get_by_label("密码").is_visible(), "the password form stays"
    assert not violations(page), violations(page)
    screenshot("login-sso")

    page.get_by_role("link", name="通过重庆市统一身份认证登录").click()
    page.wait_for_url(f"{sso.url}/oauth2/authorize?*")
    page.get_by_placeholder("sub").fill("staff-1")
    page.get_by_role("button", name="Authorize").click()

    page.get_by_role("heading", name="您好,张三").wait_for()
    assert page.url == f"{live_server.url}/me/"
    assert "部门审批人员" in page.content()
    assert not violations(page), violations(page)

    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(f"{sso.url}/oauth2/end_session?*")
    page.get_by_role("button", name="End session").click()
    page.get_by_role("heading", name="登录").wait_for()
    assert page.url == f"{live_server.url}/login/"
    page.goto("/me/")
    assert "/login/" in page.url, "logged out of the platform"
