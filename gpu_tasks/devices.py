"""Choice of the torch device the compute runs on: CUDA when there is one, else the CPU."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from core.errors import InvalidInput

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)


def select_device(prefer: str | None = None) -> torch.device:
    """Return the device to compute on.

    Parameters
    ----------
    prefer : str or None
        ``None`` or ``"auto"``: CUDA if available, else CPU. ``"cpu"``, ``"cuda"`` or
        ``"cuda:N"``: that device; asking for CUDA where there is none is an error.

    Returns
    -------
    torch.device
    """
    import torch

    if prefer is None or prefer == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(prefer)
    except RuntimeError as e:
        raise InvalidInput(f"unknown device {prefer!r}", device=prefer) from e
    if device.type == "cuda" and not torch.cuda.is_available():
        raise InvalidInput("CUDA was asked for but is not available", device=prefer)
    if device.type not in {"cpu", "cuda"}:
        raise InvalidInput(f"unsupported device type {device.type!r}", device=prefer)
    return device


@contextmanager
def cpu_threads(count: int | None) -> Iterator[None]:
    """Run the block with torch's intra-op CPU thread count set to ``count`` (None: leave it).

    The count is process-wide in torch, so it is restored afterwards; concurrent blocks that ask
    for different counts only affect each other's speed, never results.
    """
    if count is None:
        yield
        return
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
