"""The enterprise file (一企一档): the enterprise keeps its profile and yearly figures, the administration records
qualifications (which move the high-tech and tech-based flags while valid) and innovation platforms; bad input
names the field and saves nothing; each change is audited. The suite's day is 2026-11-24."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sciencecity.audit.models import AuditEvent
from sciencecity.enterprises import profile
from sciencecity.enterprises.models import Enterprise, EnterpriseYear, InnovationPlatform, Qualification
from tests.factories import EnterpriseFactory, UserFactory, staff


@pytest.fixture
def firm(db):
    enterprise = EnterpriseFactory(name="重庆超瞬态科技有限公司")
    return {
        "enterprise": enterprise,
        "own": UserFactory(username="own", enterprise=enterprise, roles=["applicant"]),
        "other": UserFactory(username="other", enterprise=EnterpriseFactory(), roles=["applicant"]),
        "admin": staff("administrator", username="admin"),
        "clerk": staff("window_clerk", username="clerk"),
    }


def test_the_enterprise_keeps_its_profile_and_a_change_is_audited(firm):
    enterprise = profile.update_profile(
        firm["own"],
        firm["enterprise"],
        size="small",
        chain="materials",
        founded_on=datetime.date(2019, 3, 1),
        registered_capital="1000",
        employees=85,
        rd_staff=30,
    )
    enterprise.refresh_from_db()
    assert (enterprise.size, enterprise.chain, enterprise.employees, enterprise.rd_staff) == (
        "small",
        "materials",
        85,
        30,
    )
    assert enterprise.registered_capital == Decimal("1000.00") and enterprise.profile_updated_at
    event = AuditEvent.objects.get(action="enterprises.update_profile")
    assert event.actor == firm["own"] and event.after["employees"] == 85
    profile.update_profile(firm["own"], enterprise, employees=85)  # nothing changed: nothing written
    assert AuditEvent.objects.filter(action="enterprises.update_profile").count() == 1


def test_bad_profiles_are_refused_and_save_nothing(firm):
    with pytest.raises(PermissionDenied):
        profile.update_profile(firm["other"], firm["enterprise"], employees=3)
    with pytest.raises(PermissionDenied):
        profile.update_profile(firm["clerk"], firm["enterprise"], employees=3)
    with pytest.raises(ValidationError) as error:
        profile.update_profile(
            firm["own"],
            firm["enterprise"],
            size="huge",
            chain="x",
            founded_on=datetime.date(2027, 1, 1),
            registered_capital="-1",
            employees=10,
            rd_staff=11,
        )
    assert set(error.value.message_dict) == {"size", "chain", "founded_on", "registered_capital", "rd_staff"}
    with pytest.raises(ValidationError) as error:
        profile.update_profile(firm["own"], firm["enterprise"], employees=-1, address="街" * 301)
    assert set(error.value.message_dict) == {"employees", "address"}
    with pytest.raises(TypeError):
        profile.update_profile(firm["own"], firm["enterprise"], is_high_tech=True)
    firm["enterprise"].refresh_from_db()
    assert firm["enterprise"].employees is None and not AuditEvent.objects.exists()
    profile.update_profile(firm["admin"], firm["enterprise"], employees=3)  # administrators may correct


def test_yearly_figures_are_recorded_and_corrected(firm):
    row = profile.set_year(
        firm["own"], firm["enterprise"], 2025, revenue="5000", rd_spending="400", taxes="120"
    )
    assert row.rd_ratio == Decimal("0.08")
    profile.set_year(firm["own"], firm["enterprise"], 2025, revenue="5200", rd_spending="400")
    assert EnterpriseYear.objects.get().revenue == Decimal("5200.00")
    assert AuditEvent.objects.filter(action="enterprises.set_year_figures").count() == 2
    with pytest.raises(ValidationError) as error:
        profile.set_year(firm["own"], firm["enterprise"], 2027, revenue="-5", rd_spending="abc")
    assert set(error.value.message_dict) == {"year", "revenue", "rd_spending"}
    with pytest.raises(PermissionDenied):
        profile.set_year(firm["other"], firm["enterprise"], 2025, revenue="1", rd_spending="1")


def test_qualifications_move_the_flags_while_they_are_valid(firm):
    enterprise = firm["enterprise"]
    profile.add_qualification(
        firm["admin"],
        enterprise,
        "high_tech",
        valid_from=datetime.date(2023, 11, 30),
        valid_until=datetime.date(2026, 11, 29),
        certificate_number="GR202350000123",
    )
    enterprise.refresh_from_db()
    assert enterprise.is_high_tech
    # Valid until 29 November: the morning scan of 30 November clears the flag, once.
    assert profile.follow_qualifications(datetime.date(2026, 11, 30)) == 1
    assert profile.follow_qualifications(datetime.date(2026, 11, 30)) == 0
    enterprise.refresh_from_db()
    assert not enterprise.is_high_tech
    assert AuditEvent.objects.filter(action="enterprises.follow_qualifications").count() == 1
    # An enterprise with no qualification on record keeps the registry's flag.
    registered = EnterpriseFactory(is_tech_based=True)
    profile.follow_qualifications(datetime.date(2026, 11, 30))
    assert Enterprise.objects.get(pk=registered.pk).is_tech_based


def test_bad_qualifications_are_refused(firm):
    with pytest.raises(PermissionDenied):
        profile.add_qualification(
            firm["own"], firm["enterprise"], "high_tech", valid_from=datetime.date(2025, 1, 1)
        )
    with pytest.raises(ValidationError) as error:
        profile.add_qualification(
            firm["admin"],
            firm["enterprise"],
            "famous",
            valid_from=datetime.date(2027, 1, 1),
            certificate_number="x" * 61,
        )
    assert set(error.value.message_dict) == {"kind", "valid_from", "certificate_number"}
    with pytest.raises(ValidationError, match="有效期不能早于认定日期"):
        profile.add_qualification(
            firm["admin"],
            firm["enterprise"],
            "tech_based",
            valid_from=datetime.date(2025, 1, 1),
            valid_until=datetime.date(2024, 1, 1),
        )
    assert not Qualification.objects.exists()


def test_platforms_are_hosted_by_an_enterprise_or_an_institution(firm):
    lab = profile.register_platform(
        firm["admin"],
        name="超瞬态物质科学重点实验室",
        kind="key_lab",
        level="national",
        institution="重庆大学",
        recognized_on=datetime.date(2022, 6, 1),
    )
    center = profile.register_platform(
        None,
        name="新材料工程技术研究中心",
        kind="engineering_center",
        level="municipal",
        enterprise=firm["enterprise"],
        recognized_on=datetime.date(2024, 5, 1),
    )
    assert list(firm["enterprise"].platforms.all()) == [center] and lab.enterprise is None
    assert InnovationPlatform.objects.for_user(firm["own"]).count() == 2
    with pytest.raises(ValidationError) as error:
        profile.register_platform(
            firm["admin"], name="", kind="lab", level="galactic", recognized_on=datetime.date(2030, 1, 1)
        )
    assert set(error.value.message_dict) == {"name", "kind", "level", "institution", "recognized_on"}
    with pytest.raises(PermissionDenied):
        profile.register_platform(
            firm["own"],
            name="x",
            kind="key_lab",
            level="district",
            institution="y",
            recognized_on=datetime.date(2024, 1, 1),
        )
