"""Who may change what in the catalogue (plain rules, no HTTP).

- `admin` changes everything.
- An organisation changes its own records.
- A `partner` changes the records of organisations it brought in (imported or created on their
  behalf) and the records it created itself.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    organisation_id: int
    role: str


def may_act_for(actor: Actor, owner_id: int, owner_brought_by_id: int | None) -> bool:
    if actor.role == "admin" or actor.organisation_id == owner_id:
        return True
    return actor.role == "partner" and owner_brought_by_id == actor.organisation_id
