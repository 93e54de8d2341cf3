"""prefect.yaml parses, every entrypoint imports, and the launcher knows every flow."""

from __future__ import annotations

from flows.deployments import load_entrypoint, read_prefect_yaml, runner_deployments
from flows.launch import FLOW_ENTRYPOINTS, load_flow


def test_every_deployment_imports_and_matches_the_launcher() -> None:
    doc = read_prefect_yaml()
    names = {d["name"] for d in doc["deployments"]}
    assert names == set(FLOW_ENTRYPOINTS)
    for dep in doc["deployments"]:
        flow = load_entrypoint(dep["entrypoint"])
        assert flow.name == dep["name"], "deployment names equal flow names (flows.launch relies on it)"
        assert load_flow(dep["name"]) is flow
        assert dep["work_pool"]["name"] in {"cpu", "gpu"}
    pools = doc["definitions"]["work_pools"]
    assert pools["gpu"]["job_variables"]["gpu_count"] == 1


def test_schedules_are_utc_and_become_runner_deployments() -> None:
    deployments = {d.name: d for d in runner_deployments()}
    assert set(deployments) == set(FLOW_ENTRYPOINTS)
    scheduled = {name for name, d in deployments.items() if d.schedules}
    assert scheduled == {"sync-stripe", "dispatch-pending", "purge-storage"}
    every_minute = deployments["dispatch-pending"].schedules[0].schedule
    assert every_minute.interval.total_seconds() == 60 and every_minute.timezone == "UTC"
    assert deployments["sync-stripe"].schedules[0].schedule.cron == "15 2 * * *"
