"""The project-service role's workbench card (registered in `ProjectsConfig.ready`)."""

from django.utils.translation import gettext as _

from sciencecity.accounts.workbench import card


@card(60)
def project_service_card(user):
    """Project escort has no pages yet (a later issue): the role's card says what it will hold."""
    if "project_specialist" not in user.role_codes():
        return None
    return {
        "title": _("项目服务"),
        "url": "",
        "description": _(
            "项目“1+N+5”护航和进度报告尚在建设中,开通后在这里列出您服务的项目;"
            "目前可从通知和办件页面打开项目页,查看项目信息和办件进度;项目上发现的问题可在“问题闭环”中报告和跟踪。"
        ),
        "counts": [],
    }
