from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ACTIONS = {"policies.save_policy": pgettext_lazy("audit", "保存惠企政策")}


def policies_action_name(action: str) -> str | None:
    return str(ACTIONS[action]) if action in ACTIONS else None


class PoliciesConfig(AppConfig):
    name = "sciencecity.policies"
    verbose_name = _("惠企政策")

    def ready(self):
        from sciencecity.audit import labels
        from sciencecity.enterprises.profile import file_changed
        from sciencecity.workdays import clock

        from .services import matching

        def refresh_enterprise(sender, enterprise_id, **kwargs):
            # The verdicts of every policy in force for the enterprise whose file changed, in the background;
            # nothing to do while no policy is in force (a new zone, the demo building its files).
            if matching.in_force(clock.today()).exists():
                matching.refresh_matches.enqueue(None, [enterprise_id])

        file_changed.connect(refresh_enterprise, dispatch_uid="policies.refresh_enterprise", weak=False)
        labels.register(policies_action_name)
