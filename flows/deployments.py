"""The deployments of prefect.yaml as runner deployments, for ``makeit3d flows serve``."""

from __future__ import annotations

import importlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from core.errors import InvalidInput

PREFECT_YAML = Path(__file__).resolve().parent.parent / "prefect.yaml"


def read_prefect_yaml(path: Path = PREFECT_YAML) -> dict[str, Any]:
    """The parsed prefect.yaml (anchors resolved)."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or not isinstance(doc.get("deployments"), list):
        raise InvalidInput(f"{path} has no deployments list")
    return doc


def load_entrypoint(entrypoint: str, root: Path | None = None) -> Any:
    """The flow object an entrypoint (``path/to/file.py:function``) names."""
    file_part, _, attr = entrypoint.partition(":")
    base = root or PREFECT_YAML.parent
    module_name = file_part.removesuffix(".py").replace("/", ".")
    if not (base / file_part).is_file():
        raise InvalidInput(f"entrypoint file {file_part} does not exist")
    return getattr(importlib.import_module(module_name), attr)


def _schedule(raw: dict[str, Any]) -> Any:
    from prefect.schedules import Cron, Interval

    tz = raw.get("timezone", "UTC")
    if "cron" in raw:
        return Cron(raw["cron"], timezone=tz)
    if "interval" in raw:
        return Interval(timedelta(seconds=float(raw["interval"])), timezone=tz)
    raise InvalidInput(f"unsupported schedule {raw}")


def runner_deployments(path: Path = PREFECT_YAML, *, only: list[str] | None = None) -> list[Any]:
    """One ``RunnerDeployment`` per deployment of prefect.yaml (or those named in ``only``)."""
    doc = read_prefect_yaml(path)
    out = []
    for dep in doc["deployments"]:
        if only and dep["name"] not in only:
            continue
        flow = load_entrypoint(dep["entrypoint"], path.parent)
        out.append(
            flow.to_deployment(
                name=dep["name"],
                description=dep.get("description"),
                tags=dep.get("tags"),
                parameters=dep.get("parameters") or {},
                schedules=[_schedule(s) for s in dep.get("schedules") or []],
            )
        )
    return out
