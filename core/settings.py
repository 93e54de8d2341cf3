"""The one ``Settings`` object (prefix ``MAKEIT3D_``). Only composition roots read it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.credits import CreditCosts


class Settings(BaseSettings):
    """Every knob of the platform. Each store is chosen by one URL; defaults are embedded.

    Embedded defaults live under ``var_dir``: SQLite, DuckDB, a local object directory, a
    ``.eml`` outbox, and Prefect/Dagster homes. Production points the URLs at Postgres, S3/R2,
    SMTP and a Prefect server.
    """

    model_config = SettingsConfigDict(
        env_prefix="MAKEIT3D_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    var_dir: Path = Field(Path("var"), description="where embedded stores keep their files")
    database_url: str = Field("", description="operational DB: sqlite:///… or postgresql+psycopg://…")
    analytics_url: str = Field("", description="analytics store: duckdb:///… or postgresql+psycopg://…")
    storage_url: str = Field("", description="object storage: a local directory, file:///…, or s3://bucket/prefix")
    s3_endpoint_url: str | None = Field(None, description="S3-compatible endpoint (R2, MinIO); None for AWS")
    s3_region: str | None = None
    s3_access_key_id: SecretStr | None = None
    s3_secret_access_key: SecretStr | None = None
    max_upload_bytes: int = Field(50 * 1024 * 1024, gt=0, description="largest object accepted by put()")
    presign_expiry_s: int = Field(3600, gt=0)
    analytics_export_url: str = Field(
        "",
        description="where the published marts are exported as Parquet (<url>/analytics/<version>/): "
        "a directory, file:///… or s3://bucket/prefix; empty = storage_url",
    )

    mail_url: str = Field("", description="outgoing mail: a directory for .eml files, or smtp://host:port")
    mail_from: str = "orders@makeit3d.example"
    print_partner_email: str = "partner@print-partner.example"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None

    prefect_home: Path | None = None
    dagster_home: Path | None = None
    price_book_path: Path | None = Field(None, description="provider price book YAML; None = the bundled one")

    stripe_secret_key: SecretStr = SecretStr("sk_test_makeit3d_local")
    stripe_webhook_secret: SecretStr = SecretStr("whsec_makeit3d_local")
    stripe_api_base: str | None = Field(None, description="override Stripe's API base (local test servers)")
    stripe_webhook_tolerance_s: int = 300
    stripe_sync_interval_s: int = 86_400
    stripe_sync_lookback_s: int = Field(
        35 * 86_400, ge=0, description="mutable Stripe objects are re-read this far back"
    )

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    public_base_url: str = "http://127.0.0.1:8000"

    generator: Literal["local", "learned", "tripo", "meshy", "runpod"] = "local"
    generator_weights_dir: Path | None = None
    generator_grid: int = Field(96, ge=16, le=512)
    provider_api_key: SecretStr | None = Field(
        None, description="API key of the remote generator (Tripo, Meshy, RunPod)"
    )
    provider_base_url: str | None = Field(None, description="override the remote generator's API base URL")
    runpod_endpoint_id: str | None = None
    task_runner: Literal["threads", "dask"] = "threads"
    dask_address: str | None = Field(None, description="remote Dask scheduler; None = a LocalCluster")
    dask_workers: int = Field(2, ge=1)
    gpus_per_worker: int = Field(1, ge=1)
    launch_mode: Literal["inprocess", "deployment"] = "inprocess"
    flow_heartbeats: bool = Field(
        False,
        description="Prefect flow-run heartbeats for in-process runs (workers keep Prefect's own setting); "
        "dispatch-pending already catches stuck jobs, and each heartbeat-enabled run ends up to 1 s later",
    )
    gpu_task_timeout_s: float = Field(900.0, gt=0, description="a generator call that runs longer fails")
    task_retries: int = Field(3, ge=0, description="retries of transient generator/provider errors")
    task_retry_delay_s: float = Field(2.0, ge=0, description="first retry delay; doubles, with jitter")
    model_size_mm: float = Field(100.0, gt=0, description="longest side of a generated model")
    face_budget: int = Field(50_000, ge=100, description="faces of a generated model after decimation")
    dispatch_stuck_after_s: int = Field(900, gt=0, description="a job with no progress this long is relaunched")
    dispatch_max_attempts: int = Field(3, ge=1, description="relaunches before a job or event is given up")
    purge_grace_s: int = Field(86_400, ge=0, description="orphaned objects younger than this are kept")

    credit_costs: CreditCosts = CreditCosts()

    @model_validator(mode="after")
    def _embedded_defaults(self) -> Settings:
        var = self.var_dir
        if not self.database_url:
            self.database_url = f"sqlite:///{var / 'makeit3d.db'}"
        if not self.analytics_url:
            self.analytics_url = f"duckdb:///{var / 'analytics.duckdb'}"
        if not self.storage_url:
            self.storage_url = str(var / "objects")
        if not self.analytics_export_url:
            self.analytics_export_url = self.storage_url
        if not self.mail_url:
            self.mail_url = str(var / "outbox")
        if self.prefect_home is None:
            self.prefect_home = var / "prefect"
        if self.dagster_home is None:
            self.dagster_home = var / "dagster"
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment (and ``.env``)."""
    return Settings()
