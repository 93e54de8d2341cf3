"""purge-storage: delete stored objects that no row refers to, once they are past a grace period.

The grace period protects objects that a running flow has stored but not yet committed.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from prefect import flow

from flows.runtime import runtime
from warehouse import assets
from warehouse.types import utcnow

log = logging.getLogger(__name__)


@flow(name="purge-storage", log_prints=False)
def purge_storage(grace_seconds: int | None = None, dry_run: bool = False) -> dict[str, Any]:
    """Delete orphaned objects older than the grace period (``purge_grace_s`` by default)."""
    rt = runtime()
    grace = timedelta(seconds=rt.settings.purge_grace_s if grace_seconds is None else grace_seconds)
    cutoff = utcnow() - grace
    store = rt.stores.objects
    # Listing first and reading references second: an object committed in between is referenced.
    listed = [o for o in store.list("assets") if o.modified <= cutoff]
    listed += [o for o in store.list("uploads") if o.modified <= cutoff]
    with rt.stores.sessions() as s:
        referenced = assets.referenced_keys(session=s)
    orphans = [o for o in listed if o.key not in referenced]
    freed = 0
    if not dry_run:
        for o in orphans:
            if store.delete(o.key):
                freed += o.size
    log.info("purge-storage: %d orphans (%d bytes) of %d objects checked", len(orphans), freed, len(listed))
    return {"checked": len(listed), "orphans": len(orphans), "deleted": 0 if dry_run else len(orphans), "bytes": freed}
