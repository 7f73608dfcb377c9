"""``trainer db upgrade|status``: the database's schema migrations, and where it is."""

from __future__ import annotations

from trainer.data.storage import (
    RECORDINGS_FOLDER,
    _create_engine,  # not get_engine(): that one upgrades the schema on first use
    current_revision,
    database_url,
    describe_url,
    head_revision,
    storage_root,
    upgrade,
)


def register(subparsers) -> None:
    parser = subparsers.add_parser("db", help="the database: schema migrations, where it is")
    commands = parser.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = commands.add_parser("upgrade", help="apply the schema migrations (Alembic upgrade)")
    up.add_argument("--revision", default="head")
    up.set_defaults(handler=_cli_upgrade)
    status = commands.add_parser("status", help="the database URL and its schema revision")
    status.set_defaults(handler=_cli_status)


def _cli_upgrade(args) -> int:
    url = database_url()
    engine = _create_engine(url)
    try:
        upgrade(engine, args.revision)
        print(f"{describe_url(url)}: schema at {current_revision(engine)}")
    finally:
        engine.dispose()
    return 0


def _cli_status(args) -> int:
    url = database_url()
    engine = _create_engine(url)
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    print(f"database: {describe_url(url)}")
    print(f"schema:   {current or 'empty'} (latest {head})")
    print(f"files:    {storage_root() / RECORDINGS_FOLDER}")
    return 0 if current == head else 1
