import pytest
from django.contrib.auth.hashers import identify_hasher
from django.contrib.auth.models import Group

from sciencecity.accounts.models import User
from sciencecity.accounts.roles import ROLES, sync_roles
from sciencecity.enterprises.models import Enterprise
from sciencecity.projects.models import Project
from tests.factories import (
    DepartmentFactory,
    EnterpriseFactory,
    ProjectFactory,
    UserFactory,
    applicant_of,
    staff,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def test_every_role_is_a_group_with_its_named_permissions():
    for code, role in ROLES.items():
        group = Group.objects.get(name=code)
        granted = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        assert set(role.permissions) <= granted, code


def test_sync_roles_refuses_a_role_naming_an_unknown_permission(monkeypatch):
    from sciencecity.accounts import roles

    broken = roles.Role("broken", "坏角色", ("projects.fly_to_the_moon",))
    monkeypatch.setitem(roles.ROLES, "broken", broken)
    with pytest.raises(LookupError, match="fly_to_the_moon"):
        sync_roles()


def test_supervisor_can_read_but_not_change():
    supervisor = staff("supervisor")
    assert supervisor.has_perm("projects.view_project")
    assert supervisor.has_perm("audit.view_auditevent")
    assert not supervisor.has_perm("projects.change_project")
    assert not supervisor.has_perm("enterprises.change_enterprise")


def test_passwords_are_hashed_with_argon2():
    user = UserFactory()
    assert identify_hasher(user.password).algorithm == "argon2"


class TestScoping:
    def test_applicant_sees_only_own_enterprise_and_its_projects(self):
        mine, theirs = EnterpriseFactory(), EnterpriseFactory()
        my_project, their_project = ProjectFactory(enterprise=mine), ProjectFactory(enterprise=theirs)
        applicant = applicant_of(mine)
        assert list(Enterprise.objects.for_user(applicant)) == [mine]
        assert list(Project.objects.for_user(applicant)) == [my_project]
        assert their_project not in Project.objects.for_user(applicant)

    def test_user_without_enterprise_or_role_sees_nothing(self):
        ProjectFactory()
        nobody = UserFactory()
        assert not Enterprise.objects.for_user(nobody).exists()
        assert not Project.objects.for_user(nobody).exists()

    @pytest.mark.parametrize(
        "role", ["window_clerk", "department_reviewer", "leader", "supervisor", "project_specialist"]
    )
    def test_civil_servants_see_the_zone_registries(self, role):
        ProjectFactory.create_batch(2)
        assert Project.objects.for_user(staff(role)).count() == 2

    def test_anonymous_sees_nothing(self):
        from django.contrib.auth.models import AnonymousUser

        ProjectFactory()
        assert not Project.objects.for_user(AnonymousUser()).exists()

    def test_department_head_sees_own_department_members_only(self):
        housing, planning = DepartmentFactory(code="housing"), DepartmentFactory(code="planning")
        head = staff("department_head", housing)
        colleague = staff("department_reviewer", housing)
        stranger = staff("department_reviewer", planning)
        visible = set(User.objects.for_user(head))
        assert {head, colleague} <= visible
        assert stranger not in visible

    def test_plain_user_sees_only_themselves(self):
        user, other = UserFactory(), UserFactory()
        assert list(User.objects.for_user(user)) == [user]
        assert other not in User.objects.for_user(user)


class TestLoginPages:
    def test_login_logout_round_trip(self, client):
        UserFactory(username="alice")
        response = client.post("/login/", {"username": "alice", "password": PASSWORD})
        assert response.status_code == 302 and response["Location"] == "/me/"
        assert client.get("/me/").status_code == 200
        client.post("/logout/")
        assert client.get("/me/").status_code == 302

    def test_wrong_password_gives_a_chinese_message(self, client):
        UserFactory(username="bob")
        response = client.post("/login/", {"username": "bob", "password": "nope"})
        assert response.status_code == 200
        assert "用户名或密码不正确" in response.content.decode()

    def test_repeated_failures_lock_the_account_even_with_the_right_password(self, client, settings):
        UserFactory(username="carol")
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post("/login/", {"username": "carol", "password": "wrong"})
        response = client.post("/login/", {"username": "carol", "password": PASSWORD})
        assert response.status_code == 429
        assert "已暂时锁定" in response.content.decode()
        assert client.get("/me/").status_code == 302  # not logged in

    def test_other_accounts_are_not_locked_by_someone_elses_failures(self, client, settings):
        UserFactory(username="carol")
        UserFactory(username="dave")
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post("/login/", {"username": "carol", "password": "wrong"})
        assert client.post("/login/", {"username": "dave", "password": PASSWORD}).status_code == 302

    def test_password_change(self, client):
        user = UserFactory(username="erin")
        client.force_login(user)
        page = client.get("/password/")
        assert "修改密码" in page.content.decode()
        response = client.post(
            "/password/",
            {
                "old_password": PASSWORD,
                "new_password1": "a much better secret 42",
                "new_password2": "a much better secret 42",
            },
        )
        assert response.status_code == 302
        user.refresh_from_db()
        assert user.check_password("a much better secret 42")

    def test_password_change_rejects_a_weak_password_with_a_message(self, client):
        client.force_login(UserFactory(username="frank"))
        response = client.post(
            "/password/", {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"}
        )
        assert response.status_code == 200
        assert "密码" in response.content.decode() and "error" in response.content.decode()

    def test_english_login_page(self, client):
        response = client.get("/login/", headers={"accept-language": "en"})
        content = response.content.decode()
        assert "Log in" in content
        assert "登录" not in content
