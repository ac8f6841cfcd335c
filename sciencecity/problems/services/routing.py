"""Which department a problem goes to: the routing rules of its category, the rule for its area first."""

from ..models import RoutingRule


def department_for(category, area: str = ""):
    """The department of the rule for `category` in `area`, else of the category's rule for every area, else
    None (the dispatch centre decides)."""
    rules = {
        rule.area: rule.department
        for rule in RoutingRule.objects.filter(category=category, area__in={area, ""}).select_related(
            "department"
        )
    }
    department = rules.get(area) if area else None
    department = department or rules.get("")
    return department if department is not None and department.is_active else None
