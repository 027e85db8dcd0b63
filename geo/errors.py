"""Errors the product raises: each says what is wrong, where, and what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from geo.schema import ValidationReport


class PlannerError(Exception):
    """Base class of every error the product raises on purpose."""


class InputError(PlannerError):
    """Input data or parameters that cannot be used as given."""


class EventRefusedError(InputError):
    """An event refused by the live state; ``event_id`` names the new event refused.

    ``None`` when the new events are refused because they make a stored one illegal.
    """

    def __init__(self, message: str, event_id: str | None = None) -> None:
        super().__init__(message)
        self.event_id = event_id


class SchemaError(InputError):
    """A layer does not follow its schema; ``report`` lists every problem."""

    def __init__(self, message: str, report: ValidationReport) -> None:
        super().__init__(message)
        self.report = report


class StoreError(PlannerError):
    """The workspace store cannot be read or written."""


class LayerMissingError(StoreError):
    """A layer needed by a computation is absent or empty."""


class StaleVersionError(StoreError):
    """A change was made on a version that is no longer current; nothing was written."""


class InfeasiblePlanError(PlannerError):
    """An optimisation request that has no meaningful answer."""


class AccessDeniedError(PlannerError):
    """The current viewer lacks the permission an action needs."""
