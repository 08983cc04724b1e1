"""Forecast: a probability with a reason, locked by the student (graded for completion)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..answers import short_repr
from ._base import ItemKind, number_text, register, text_of

if TYPE_CHECKING:
    from ..items.spec import ItemSpec
    from ..keys import ItemKey

__all__ = ["ForecastKind"]


@register
class ForecastKind(ItemKind):
    """A probability (0–100) and a reason; its first locked value counts."""

    name = "forecast"
    takes_outcome = True
    class_name = "Forecast"
    args = frozenset({"resolution", "as_of"})
    needs_points = False
    has_practice = False

    def spec_problem(self, fields: dict[str, Any]) -> str | None:
        resolution = fields["resolution"]
        if not isinstance(resolution, str) or not resolution.strip():
            return "a forecast needs a resolution: what exactly counts as YES"
        return None

    def describe(self, spec: ItemSpec, value: Any) -> str | None:
        if not isinstance(value, Mapping):
            return None
        state = "locked" if value.get("locked") is True else "not locked"
        reason = value.get("reason")
        reason = "" if reason is None else text_of(reason).strip()
        probability = value.get("probability")
        if isinstance(probability, int | float) and not isinstance(probability, bool):
            text = f"{number_text(probability)}% ({state})"
        else:
            text = f"{short_repr(probability)} as the probability ({state})"
        return f"{text}: {reason}" if reason else text

    def check_key(self, spec: ItemSpec, key: ItemKey) -> list[str]:
        return [f"{spec.id}: forecasts are graded for completion: set completion: true"]

    def simulate(self, spec: ItemSpec, key: ItemKey, right: bool, rng: random.Random) -> Any:
        # A spread of probabilities with a little skill when the outcome is known;
        # most students lock, some forget (and a forecast that is not locked scores 0).
        centre = 50.0 if key.outcome is None else (65.0 if key.outcome else 35.0)
        probability = int(min(95, max(5, 5 * round(rng.gauss(centre, 20) / 5))))
        return {
            "probability": probability,
            "reason": "Simulated reason: what I knew in April 2016.",
            "locked": right or rng.random() < 0.75,
        }
