"""Factories for test data. Prefer these to fixtures files; pass only what a test is about."""

import factory
from django.contrib.auth.models import Group

from sciencecity.accounts.models import Department, User
from sciencecity.enterprises.models import Enterprise
from sciencecity.enterprises.validators import make_credit_code
from sciencecity.projects.models import Project


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept-{n}")
    name = factory.Sequence(lambda n: f"部门{n}")
    kind = Department.Kind.GOVERNMENT


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"重庆测试科技有限公司{n}")
    credit_code = factory.Sequence(lambda n: make_credit_code("500106", 10_000_000 + n))
    legal_representative = "张三"
    industry = "软件和信息技术服务业"
    address = "重庆市沙坪坝区科学大道1号"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        """UserFactory(roles=["window_clerk"]) puts the user in those role groups (created by migrate)."""
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=extracted))
            self.__dict__.pop("_role_codes", None)


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    code = factory.Sequence(lambda n: f"2026-500106-47-01-{n:06d}")
    name = factory.Sequence(lambda n: f"科学城测试项目{n}")
    enterprise = factory.SubFactory(EnterpriseFactory)
    total_investment = 50000
    land_area = 20000
    floor_area = 60000
    location = "重庆市沙坪坝区西永街道"


def applicant_of(enterprise, **kwargs):
    return UserFactory(enterprise=enterprise, roles=["applicant"], **kwargs)


def staff(role, department=None, **kwargs):
    return UserFactory(department=department, roles=[role], **kwargs)
