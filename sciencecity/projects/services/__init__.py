"""Every write to projects (ARCHITECTURE.md rule 1), one module per part of the project file:

- `registry`: registration, updates and the phase (with its dated history);
- `schedule`: milestones, phases of a multi-phase project, annual investment plans;
- `escort`: the "1+N+5" escort team, the help-and-do consent, the service log, supervision notes;
- `reports`: the monthly reports and the problems they raise;
- `warnings`: the red / yellow / green warnings and the reminders of the report day.
"""

from .registry import (
    APPLICANT_PHASES,
    PHASE_TRANSITIONS,
    PROJECT_FIELDS,
    change_project_phase,
    check_phase_transition,
    next_project_code,
    register_project,
    update_project,
)

__all__ = [
    "APPLICANT_PHASES",
    "PHASE_TRANSITIONS",
    "PROJECT_FIELDS",
    "change_project_phase",
    "check_phase_transition",
    "next_project_code",
    "register_project",
    "update_project",
]
