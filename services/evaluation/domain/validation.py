"""Checks applied to every number that enters the models.

Model
-----
No formula here: these functions turn already-parsed JSON values (``int``, ``float``, ``list``,
``dict``, ``str``) into the typed values the models use, and refuse what the models cannot use,
raising :class:`~services.evaluation.domain.errors.InvalidInput` with the dotted field path:

- numbers must be real (``bool`` is refused), finite (no NaN or infinity);
- a rate is a decimal per year strictly above -1 (-100%), since ``(1 + r)^-t`` is undefined at
  and below -1;
- a series of yearly flows is a non-empty list of finite numbers, at most ``MAX_YEARS + 1`` long
  (year 0 to year ``MAX_YEARS``), which also bounds the polynomial degree of the IRR search;
- lengths of series that describe the same years must match.

``None`` means "not given" for optional inputs, so that a request model serialised with
``None`` defaults reads the same as one without the key.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from services.evaluation.domain.errors import InvalidInput

MAX_YEARS = 200
"""Longest horizon accepted: year 0 plus 200 years."""


def is_number(value: object) -> bool:
    """True for ``int``/``float``/numpy real scalars, False for ``bool`` and anything else."""
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def number(
    value: object,
    field: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    exclusive_minimum: bool = False,
) -> float:
    """A finite real number within optional bounds."""
    if not is_number(value):
        raise InvalidInput(field, "must be a number")
    result = float(value)  # type: ignore[arg-type]
    if not math.isfinite(result):
        raise InvalidInput(field, "must be a finite number (not NaN or infinity)")
    if minimum is not None:
        if exclusive_minimum and result <= minimum:
            raise InvalidInput(field, f"must be greater than {minimum:g}")
        if not exclusive_minimum and result < minimum:
            raise InvalidInput(field, f"must be at least {minimum:g}")
    if maximum is not None and result > maximum:
        raise InvalidInput(field, f"must be at most {maximum:g}")
    return result


def rate(value: object, field: str) -> float:
    """A yearly rate as a decimal, strictly greater than -1 (-100%)."""
    result = number(value, field)
    if result <= -1.0:
        raise InvalidInput(field, "must be greater than -1 (a rate of -100% or less)")
    return result


def integer(
    value: object, field: str, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """A whole number (``3`` or ``3.0``) within optional bounds."""
    result = number(value, field)
    if not result.is_integer():
        raise InvalidInput(field, "must be a whole number")
    if minimum is not None and result < minimum:
        raise InvalidInput(field, f"must be at least {minimum}")
    if maximum is not None and result > maximum:
        raise InvalidInput(field, f"must be at most {maximum}")
    return int(result)


def choice(value: object, field: str, choices: Iterable[str]) -> str:
    """One of a fixed set of strings."""
    allowed = tuple(choices)
    if not isinstance(value, str) or value not in allowed:
        raise InvalidInput(field, f"must be one of: {', '.join(allowed)}")
    return value


def flows(
    value: object,
    field: str,
    *,
    min_length: int = 1,
    max_length: int = MAX_YEARS + 1,
) -> np.ndarray:
    """A non-empty sequence of finite numbers as a 1-D float array."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise InvalidInput(field, "must be a list of numbers")
    if len(value) < min_length:
        if min_length == 1:
            raise InvalidInput(field, "must not be empty")
        raise InvalidInput(field, f"must have at least {min_length} values")
    if len(value) > max_length:
        raise InvalidInput(field, f"must have at most {max_length} values")
    for index, item in enumerate(value):
        number(item, f"{field}[{index}]")
    return np.asarray(value, dtype=float)


def mapping(value: object, field: str) -> Mapping[str, Any]:
    """A JSON object."""
    if not isinstance(value, Mapping):
        raise InvalidInput(field, "must be an object")
    return value


def known_keys(body: Mapping[str, Any], allowed: Iterable[str], prefix: str = "") -> None:
    """Refuse keys the model does not know, so a typo is not silently ignored."""
    allowed_set = set(allowed)
    for key in body:
        if key not in allowed_set:
            name = f"{prefix}{key}"
            raise InvalidInput(
                name, f"unknown field; expected one of: {', '.join(sorted(allowed_set))}"
            )


def optional(body: Mapping[str, Any], key: str, default: Any) -> Any:
    """The value of an optional key, ``default`` when missing or ``None`` (never when falsy)."""
    value = body.get(key)
    return default if value is None else value


def required(body: Mapping[str, Any], key: str, prefix: str = "") -> Any:
    """The value of a required key."""
    value = body.get(key)
    if value is None:
        raise InvalidInput(f"{prefix}{key}", "is required")
    return value


def same_length(series: Mapping[str, Sequence[Any] | np.ndarray], reference: str) -> None:
    """All series as long as ``reference``; the first mismatch is named."""
    expected = len(series[reference])
    for name, values in series.items():
        if len(values) != expected:
            raise InvalidInput(name, f"has {len(values)} values but {reference} has {expected}")
