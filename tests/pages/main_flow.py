"""The key pages of the main flow, each with the user who opens it, over one small world: shared by the
language checks with the test client (tests/pages/test_languages.py) and in the browser
(tests/e2e/test_languages.py).

The world is the demo world of tests/approvals/conftest.py (its enterprise, project and people have Chinese
names: data, marked `data-user-text` in the templates) with applications in the states the pages show:
a draft, one waiting at the window, one in correction, one in review with a tolerated gap and a claimed task
with an opinion, and one whose task is paused for a supplement.
"""

import datetime
from dataclasses import dataclass

from django.urls import reverse

from sciencecity.approvals.services import intake, review
from tests.approvals.conftest import (
    START_MINIMAL,
    accept_all_materials,
    accepted,
    draft,
    submitted,
    task_of,
)
from tests.factories import UserFactory

EPP = "engineering-planning-permit"  # the planning department's item, started as soon as the window accepts
GAP = "quality-safety-measures"  # tolerated as a gap by the construction permit
BUNDLE = "start-construction"


@dataclass
class Visit:
    name: str
    user: object  # None: anonymous
    url: str


def build_main_flow(world) -> list[Visit]:
    """Make the applications and return the pages to visit, in the order of the flow."""
    leader = UserFactory(username="leader", display_name="王领导", roles=["leader"])
    draft_one = draft(world, BUNDLE, START_MINIMAL)
    waiting = submitted(world, BUNDLE, START_MINIMAL, key="waiting")
    corrected = submitted(world, BUNDLE, START_MINIMAL, key="corrected")
    intake.request_correction(
        world.clerk, corrected, [{"material": GAP, "problem": "缺少项目负责人签字"}], note="请一次补齐"
    )
    gapped = submitted(world, BUNDLE, START_MINIMAL, skip={GAP}, key="gapped")
    accept_all_materials(world, gapped)
    intake.accept_with_gaps(world.clerk, gapped, {GAP: datetime.date(2026, 6, 15)})
    task = task_of(gapped, EPP)
    reviewer = world.reviewer_of(task)
    review.claim_task(reviewer, task)
    review.add_opinion(reviewer, task, "总平面图已核对")
    paused = accepted(world, BUNDLE, START_MINIMAL, key="paused")
    paused_task = task_of(paused, EPP)
    review.claim_task(reviewer, paused_task)
    review.request_supplement(reviewer, paused_task, "请补充日照分析报告")

    def url(name, *args, query=""):
        return reverse(f"approvals:{name}", args=args) + query

    applicant, clerk = world.applicant, world.clerk
    return [
        Visit("public-home", None, url("public_home")),
        Visit("bundle-guide", None, url("bundle_guide", BUNDLE)),
        Visit(
            "bundle-guide-answered",
            None,
            url("bundle_guide", BUNDLE, query="?new_civil_building=yes&eia_category=report&site_works=waste"),
        ),
        Visit("portal-home", applicant, url("portal_home")),
        Visit("portal-project", applicant, url("portal_project", world.project.pk)),
        Visit("portal-apply", applicant, url("portal_apply")),
        Visit("portal-wizard", applicant, url("portal_edit", draft_one.pk)),
        Visit("portal-correction", applicant, url("portal_application", corrected.pk)),
        Visit("portal-progress-gap", applicant, url("portal_application", gapped.pk)),
        Visit("portal-progress-supplement", applicant, url("portal_application", paused.pk)),
        Visit("window-queue", clerk, url("window_queue")),
        Visit("window-intake", clerk, url("window_intake", waiting.pk)),
        Visit("window-gaps", clerk, url("window_gaps")),
        Visit("project-window", clerk, url("project", world.project.pk)),
        Visit("department-worklist", reviewer, url("department_worklist")),
        Visit("department-task", reviewer, url("department_task", task.pk)),
        Visit("department-task-paused", reviewer, url("department_task", paused_task.pk)),
        Visit("project-department", reviewer, url("project", world.project.pk)),
        Visit("leaders-overview", leader, url("leaders_overview")),
        Visit("leaders-applications", leader, url("leaders_applications")),
        Visit("leaders-application", leader, url("leaders_application", gapped.pk)),
    ]
