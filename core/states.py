"""The asset (generation job) state machine, as data."""

from __future__ import annotations

from collections.abc import Mapping

from core.enums import AssetStatus
from core.errors import IllegalTransition

S = AssetStatus

#: Allowed transitions. ``FAILED`` may be retried from the step that failed, which is why it has
#: outgoing edges; ``COMPLETED`` may go back to ``GENERATING_MODEL`` for a model regeneration.
ASSET_TRANSITIONS: Mapping[AssetStatus, frozenset[AssetStatus]] = {
    S.PENDING_CONCEPTS: frozenset({S.CONCEPTS_GENERATED, S.GENERATING_MODEL, S.FAILED}),
    S.CONCEPTS_GENERATED: frozenset({S.GENERATING_MODEL, S.PENDING_CONCEPTS, S.FAILED}),
    S.GENERATING_MODEL: frozenset({S.COMPLETED, S.FAILED}),
    S.COMPLETED: frozenset({S.GENERATING_MODEL}),
    S.FAILED: frozenset({S.PENDING_CONCEPTS, S.GENERATING_MODEL}),
}

INITIAL_STATES: frozenset[AssetStatus] = frozenset({S.PENDING_CONCEPTS, S.GENERATING_MODEL})
TERMINAL_STATES: frozenset[AssetStatus] = frozenset({S.COMPLETED, S.FAILED})
ACTIVE_STATES: frozenset[AssetStatus] = frozenset({S.PENDING_CONCEPTS, S.GENERATING_MODEL})


def can_transition(current: AssetStatus, target: AssetStatus) -> bool:
    """Whether ``current → target`` is a legal asset transition."""
    return target in ASSET_TRANSITIONS[current]


def check_transition(current: AssetStatus | str, target: AssetStatus | str) -> AssetStatus:
    """Return ``target`` as an ``AssetStatus`` or raise ``IllegalTransition`` naming both states."""
    try:
        cur, tgt = AssetStatus(current), AssetStatus(target)
    except ValueError as e:
        raise IllegalTransition(f"unknown asset status in {current!r} -> {target!r}") from e
    if not can_transition(cur, tgt):
        allowed = ", ".join(sorted(ASSET_TRANSITIONS[cur])) or "none"
        raise IllegalTransition(
            f"asset cannot go from {cur} to {tgt} (allowed from {cur}: {allowed})",
            current=str(cur),
            target=str(tgt),
        )
    return tgt
