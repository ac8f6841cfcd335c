"""`manage.py approvals guide BUNDLE [--answers JSON] [--project CODE]` and `manage.py approvals show NUMBER`.

- `guide`: what an application for a bundle of the catalog in force needs, as the applicant would see it:
  the items the answers select, the complete notice of materials (一次告知, marking what the platform holds
  for the project's enterprise) and the merged form with its prefilled values.
- `show`: one application: its state and deadlines, its tasks with their departments and deadlines, and its
  current materials.

Both only read; every change goes through `sciencecity.approvals.services`.
"""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sciencecity.approvals import selectors
from sciencecity.approvals.models import Application
from sciencecity.catalog.models import Bundle, CatalogVersion
from sciencecity.projects.models import Project
from sciencecity.workdays import clock


class Command(BaseCommand):
    help = "Read bundled approval: the guide of a bundle (items, notice, form), or one application."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        guide = sub.add_parser("guide", help="items, complete notice and merged form of a bundle")
        guide.add_argument(
            "bundle", help="bundle code in the catalog version in force, e.g. start-construction"
        )
        guide.add_argument("--answers", default="{}", help='answers as JSON, e.g. \'{"occupy_road": "yes"}\'')
        guide.add_argument("--project", help="project code: mark what the platform holds, prefill the form")
        show = sub.add_parser("show", help="one application by its number")
        show.add_argument("number")

    def handle(self, *args, action, **options):
        if action == "guide":
            self.guide(options["bundle"], options["answers"], options.get("project"))
        else:
            self.show(options["number"])

    def guide(self, bundle_code, answers_json, project_code):
        version = CatalogVersion.objects.effective_on(clock.today())
        if version is None:
            raise CommandError(_("当前没有生效的事项目录版本。"))
        bundle = Bundle.objects.filter(version=version, code=bundle_code).first()
        if bundle is None:
            raise CommandError(_("现行目录中没有编码为“%(code)s”的一件事。") % {"code": bundle_code})
        try:
            answers = json.loads(answers_json)
        except json.JSONDecodeError as error:
            raise CommandError(_("情形回答不是有效的 JSON:%(error)s") % {"error": error}) from None
        project = enterprise = None
        if project_code:
            project = Project.objects.select_related("enterprise").filter(code=project_code).first()
            if project is None:
                raise CommandError(_("没有项目代码为 %(code)s 的项目。") % {"code": project_code})
            enterprise = project.enterprise
        try:
            items = selectors.selected_items(bundle, answers, complete=False)
        except ValidationError as error:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
            ) from None

        write = self.stdout.write
        write(f"{bundle.name}(v{version.number})")
        write(_("事项(%(n)s):") % {"n": len(items)})
        for item in items:
            write(f"  - {item.name} [{item.department.name}] {item.promised_limit_days}")
        notice = selectors.material_notice(bundle, items, enterprise, project)
        write(_("一次告知材料(%(n)s):") % {"n": len(notice)})
        for entry in notice:
            marks = []
            if entry.held_by_platform:
                marks.append(_("免提交:%(value)s") % {"value": entry.held_value})
            if entry.produced_by is not None:
                marks.append(_("由本件“%(item)s”出具") % {"item": entry.produced_by.name})
            if not entry.required:
                marks.append(_("非必交"))
            if entry.gap_tolerated:
                marks.append(_("可容缺"))
            if entry.pledge_allowed:
                marks.append(_("可承诺"))
            write(
                f"  - {entry.spec.name} ({', '.join(item.code for item in entry.items)})"
                + (f" [{'; '.join(marks)}]" if marks else "")
            )
        form = selectors.merged_form(bundle, items, enterprise, project)
        write(_("一张表单(%(n)s 项):") % {"n": len(form)})
        for entry in form:
            value = "" if entry.value is None else entry.value
            write(f"  - {entry.field.label}{'*' if entry.required else ''}: {value}")

    def show(self, number):
        application = (
            Application.objects.select_related("bundle", "enterprise", "project")
            .filter(number=number)
            .first()
        )
        if application is None:
            raise CommandError(_("没有编号为 %(number)s 的办件。") % {"number": number})
        write = self.stdout.write
        write(
            f"{application.number} {application.bundle.name} · {application.enterprise.name} · "
            f"{application.project.name}"
        )
        write(
            _("状态:%(status)s  受理期限:%(intake)s  承诺办结:%(promised)s")
            % {
                "status": application.get_status_display(),
                "intake": application.intake_deadline or "-",
                "promised": application.promised_deadline or "-",
            }
        )
        for task in application.tasks.select_related("item", "department", "assignee").order_by("item__code"):
            write(
                f"  - {task.item.name} [{task.department.name}] {task.get_status_display()} "
                f"{task.assignee or '-'} {task.started_on or '-'} → {task.promised_deadline or '-'}"
                f" ({_('法定')} {task.legal_deadline or '-'})"
            )
        for material in application.materials.filter(is_current=True).select_related("spec"):
            write(
                f"  · {material.spec.name}: {material.get_source_display()} {material.get_verdict_display()}"
                + (f" {material.gap_due_date}" if material.gap_due_date else "")
            )
