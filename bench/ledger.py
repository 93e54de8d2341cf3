"""Ledger throughput on PostgreSQL: spends per second, uncontended (32 users) and contended (1 user).

Each spend is a full ``warehouse.ledger.spend`` in its own transaction (idempotency look-up,
savepoint, conditional balance update, entry insert, commit). The baseline is the bare minimum
a correct spend needs, run in the same process over the same connection pool: a conditional
UPDATE and an INSERT in one transaction, as raw SQL. Anchor: pgledger reports about 10k transfers/s on a laptop.

    python bench/ledger.py [--spends 4000] [--threads 32]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import create_database, drop_database, emit, log
from core.errors import InsufficientCredits
from warehouse import ledger, migrate
from warehouse.db import make_engine, make_session_factory, transaction
from warehouse.users import create_user


def _run_threads(threads: int, per_thread: int, work: Callable[[int, int], None]) -> float:
    barrier = threading.Barrier(threads + 1)

    def body(t: int) -> None:
        barrier.wait()
        for i in range(per_thread):
            work(t, i)

    pool = [threading.Thread(target=body, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    barrier.wait()
    start = time.perf_counter()
    for th in pool:
        th.join()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spends", type=int, default=4000)
    parser.add_argument("--threads", type=int, default=32)
    args = parser.parse_args()
    threads, per_thread = args.threads, max(1, args.spends // args.threads)
    total = threads * per_thread
    url = create_database()
    try:
        migrate.upgrade(url)
        engine = make_engine(url, pool_size=threads)
        sessions = make_session_factory(engine)
        with transaction(sessions) as s:
            users = [create_user(session=s, email=f"bench{i}@example.com").id for i in range(threads)]
            for uid in users:
                ledger.grant(session=s, user_id=uid, amount=10 * total, idempotency_key=f"seed:{uid}")
        run_id = uuid.uuid4().hex[:6]

        def spend_into(pick: Callable[[int], uuid.UUID], tag: str) -> Callable[[int, int], None]:
            def work(t: int, i: int) -> None:
                with transaction(sessions) as s:
                    ledger.spend(session=s, user_id=pick(t), amount=1, idempotency_key=f"{run_id}:{tag}:{t}:{i}")

            return work

        def raw_into(pick: Callable[[int], uuid.UUID], tag: str) -> Callable[[int, int], None]:
            def work(t: int, i: int) -> None:
                uid = pick(t)
                with engine.begin() as conn:
                    row = conn.exec_driver_sql(
                        "UPDATE users SET credit_balance = credit_balance - 1 WHERE id = %s AND credit_balance >= 1 "
                        "RETURNING credit_balance",
                        (uid,),
                    ).fetchone()
                    if row is None:
                        raise InsufficientCredits("raw baseline ran dry")
                    conn.exec_driver_sql(
                        "INSERT INTO credit_ledger"
                        " (id, user_id, kind, amount, balance_after, idempotency_key, created_at)"
                        " VALUES (%s, %s, 'spend', -1, %s, %s, now())",
                        (uuid.uuid4(), uid, row[0], f"{run_id}:raw-{tag}:{t}:{i}"),
                    )

            return work

        for case, pick in (("uncontended_32_users", lambda t: users[t]), ("contended_1_user", lambda t: users[0])):
            log(f"ledger: {case}, {total} spends on {threads} threads")
            raw_s = _run_threads(threads, per_thread, raw_into(pick, case))
            ours_s = _run_threads(threads, per_thread, spend_into(pick, case))
            emit("ledger", case, total / ours_s, "spends/s", baseline=total / raw_s, threads=threads, spends=total)
        with sessions() as s:
            problems = ledger.verify_ledger(session=s)
        emit("ledger", "verify_ledger_discrepancies", float(len(problems)), "users")
        engine.dispose()
    finally:
        drop_database(url)


if __name__ == "__main__":
    main()
