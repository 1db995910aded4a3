"""`python -m gateway db start|stop|status|migrate|url`."""

from __future__ import annotations

import argparse
import asyncio

from gateway.config import Settings
from gateway.db.embedded import EmbeddedCluster
from gateway.db.migrate import migrate
from gateway.db.pool import database_url


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("db", help="the embedded PostgreSQL cluster and migrations")
    parser.add_argument("action", choices=("start", "stop", "status", "migrate", "url"))
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    cluster = EmbeddedCluster(settings.data_dir)
    if args.action == "url":
        print(database_url(settings))
    elif args.action == "start":
        cluster.start()
        print(f"embedded PostgreSQL running: {cluster.url()}")
    elif args.action == "stop":
        cluster.stop()
        print("embedded PostgreSQL stopped")
    elif args.action == "status":
        print(f"embedded PostgreSQL {cluster.status()} ({cluster.pgdata})")
        return 0 if cluster.running() else 3
    elif args.action == "migrate":
        if not settings.database_url:
            cluster.start()
        applied = asyncio.run(migrate(database_url(settings)))
        names = ": " + ", ".join(applied) if applied else ""
        print(f"applied {len(applied)} migration(s){names}")
    return 0
