"""Transition tables: each state machine of the platform is one literal table (ARCHITECTURE.md rule 2).

A row is (from-state, action, to-state, permission). `None` as permission means the platform itself takes the
step (for example concluding an application when its last task is decided): no user can ask for it.
A `TransitionTable` is made once per model and registers itself; `check()` is the one function that reads
the tables: it refuses an action that has no row from the object's current state (`IllegalTransition`, HTTP
409) or whose permission the user lacks (`PermissionDenied`, 403), with a sentence naming the state and the
action. Services call `check` or `apply` under their lock, then save, audit and notify.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Transition:
    source: str
    action: str
    target: str
    permission: str | None


_TABLES: dict[type, "TransitionTable"] = {}


class TransitionTable:
    """The rows of one model's state machine and the names of its actions (lazy texts, read in the language
    of each request). Iterating a table gives its rows."""

    def __init__(self, model, rows: Iterable[tuple], labels: Mapping[str, object], *, field: str = "status"):
        self.model = model
        self.rows: tuple[Transition, ...] = tuple(Transition(*row) for row in rows)
        self.labels = dict(labels)
        self.field = field
        unnamed = {row.action for row in self.rows} - set(self.labels)
        if unnamed:
            raise ValueError(f"{model.__name__}: actions without a name: {sorted(unnamed)}")
        _TABLES[model] = self

    def __iter__(self) -> Iterator[Transition]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def label(self, action: str) -> str:
        return str(self.labels.get(action, action))

    def state_of(self, obj) -> str:
        return getattr(obj, self.field)

    def find(self, obj, action: str) -> Transition | None:
        state = self.state_of(obj)
        return next((row for row in self.rows if row.source == state and row.action == action), None)

    def allowed_actions(self, obj, user) -> list[str]:
        """The actions `user` may take on `obj` now, by the table alone (services add their own checks)."""
        state = self.state_of(obj)
        return [
            row.action
            for row in self.rows
            if row.source == state and row.permission is not None and user.has_perm(row.permission)
        ]

    def check(self, obj, action: str, user) -> Transition:
        """The row that allows `action` on `obj` by `user`, or IllegalTransition / PermissionDenied.

        `user` None is the platform itself, which may take any row; a row without permission is the
        platform's alone."""
        row = self.find(obj, action)
        if row is None:
            raise IllegalTransition(obj, action)
        if user is not None:
            if row.permission is None:
                raise PermissionDenied(
                    _("“%(action)s”由系统自动执行,不能手动操作。") % {"action": self.label(action)}
                )
            if not user.has_perm(row.permission):
                raise PermissionDenied(_("您没有“%(action)s”的权限。") % {"action": self.label(action)})
        return row

    def apply(self, obj, action: str, user) -> tuple[str, str]:
        """Check the row and move `obj` to its target state (the caller saves); return (before, after)."""
        row = self.check(obj, action, user)
        before = self.state_of(obj)
        setattr(obj, self.field, row.target)
        return before, row.target


def table_of(obj) -> TransitionTable:
    for cls in type(obj).__mro__:
        if cls in _TABLES:
            return _TABLES[cls]
    raise TypeError(f"no state machine for {type(obj).__name__}")


def find(obj, action: str) -> Transition | None:
    return table_of(obj).find(obj, action)


def allowed_actions(obj, user) -> list[str]:
    return table_of(obj).allowed_actions(obj, user)


def check(obj, action: str, user) -> Transition:
    return table_of(obj).check(obj, action, user)


def apply(obj, action: str, user) -> tuple[str, str]:
    return table_of(obj).apply(obj, action, user)


def action_label(action: str) -> str:
    """The name of an action in any registered table (the audit trail names actions by it)."""
    for table in _TABLES.values():
        if action in table.labels:
            return table.label(action)
    return action


class IllegalTransition(Exception):
    """The action is not allowed from the object's current state (HTTP 409)."""

    def __init__(self, obj, action: str, message: str | None = None):
        self.obj = obj
        self.action = action
        if message is None:
            table = table_of(obj)
            state = getattr(obj, f"get_{table.field}_display")()
            message = _("当前状态为“%(state)s”,不能执行“%(action)s”。") % {
                "state": state,
                "action": table.label(action),
            }
        super().__init__(message)
