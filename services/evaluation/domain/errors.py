"""Errors raised by the evaluation domain.

The domain never knows about HTTP. It raises :class:`InvalidInput` (a ``ValueError``) naming the
offending input with a dotted path as the request body spells it (``cash_flows[3]``,
``inputs.energy_price``, ``financing.tenor_years``); the service layer translates it into a 422
``application/problem+json`` with ``errors: [{"field": ..., "reason": ...}]``.
"""

from __future__ import annotations


class InvalidInput(ValueError):
    """An input the models cannot use.

    Attributes
    ----------
    field : str
        Dotted path of the input in the request body, e.g. ``cash_flows[3]``.
    reason : str
        Human-readable reason, e.g. ``"must be a finite number"``.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason

    @property
    def errors(self) -> list[dict[str, str]]:
        """The field-level list in the problem+json shape."""
        return [{"field": self.field, "reason": self.reason}]
