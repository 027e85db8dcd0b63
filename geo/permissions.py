"""Roles, the permission matrix and the current viewer, checked wherever data leaves ``geo``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from geo.errors import AccessDeniedError

Role = Literal["admin", "planner", "operator", "analyst", "liaison", "briefer", "viewer"]
Permission = Literal[
    "see_unit_positions",
    "import_data",
    "import_centres",
    "plan",
    "export_all",
    "export_coverage",
    "see_briefing",
    "manage_users",
    "read_audit_log",
    "see_operations",
    "operate",
]

ROLES: tuple[Role, ...] = get_args(Role)

#: Which role may do what. ``import_centres`` covers centres and accessibility audits;
#: ``import_data`` every layer, units included.
_ANALYST: frozenset[Permission] = frozenset({"import_centres", "export_coverage", "see_briefing"})
_PLANNER: frozenset[Permission] = _ANALYST | {
    "see_unit_positions",
    "import_data",
    "plan",
    "export_all",
}
#: Election day (the Operations page): ``operate`` logs and manages incidents and centre
#: status and dispatches units; ``see_operations`` shows the board (units as counts unless
#: the role also has ``see_unit_positions``).
_OPERATOR: frozenset[Permission] = frozenset({"see_unit_positions", "see_operations", "operate"})
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    "admin": _PLANNER | _OPERATOR | {"manage_users", "read_audit_log"},
    "planner": _PLANNER | {"see_operations"},
    "operator": _OPERATOR,
    "analyst": _ANALYST,
    "liaison": frozenset({"see_operations"}),
    "briefer": frozenset({"export_coverage", "see_briefing"}),
    "viewer": frozenset(),
}


@dataclass(frozen=True)
class Viewer:
    """Who is looking: a name and a role, and what the role allows."""

    name: str
    role: Role

    def can(self, permission: Permission) -> bool:
        """Return True when the viewer's role grants ``permission``."""
        return permission in ROLE_PERMISSIONS[self.role]

    @property
    def can_see_unit_positions(self) -> bool:
        """True when exact positions of security units may be shown to this viewer."""
        return self.can("see_unit_positions")


def require(viewer: Viewer, permission: Permission) -> None:
    """Raise :class:`AccessDeniedError` unless ``viewer`` has ``permission``."""
    if not viewer.can(permission):
        raise AccessDeniedError(
            f"{viewer.name} (role '{viewer.role}') may not {permission.replace('_', ' ')}; "
            "ask an administrator for a role that allows it"
        )


def parse_role(text: str) -> Role:
    """Return ``text`` as a role, or raise :class:`ValueError` naming the valid roles."""
    for role in ROLES:
        if text == role:
            return role
    raise ValueError(f"unknown role '{text}'; use one of {', '.join(ROLES)}")
