"""``trainer users create-admin|unlock|list``: accounts from the command line."""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy import select

from trainer.data.accounts import AccountError, create_admin, normal_login, unlock
from trainer.data.storage import User, transaction


def register(subparsers) -> None:
    parser = subparsers.add_parser("users", help="accounts: create the first admin, unlock a login, list users")
    commands = parser.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    admin = commands.add_parser(
        "create-admin", help="create an admin account; the password is read from a prompt (or one line of stdin)"
    )
    admin.add_argument("--name", required=True)
    admin.add_argument("--login", required=True)
    admin.add_argument("--email")
    admin.set_defaults(handler=_cli_create_admin)
    unlock_cmd = commands.add_parser("unlock", help="clear the failed sign-ins that lock a login")
    unlock_cmd.add_argument("login")
    unlock_cmd.set_defaults(handler=_cli_unlock)
    listing = commands.add_parser("list", help="list every user")
    listing.set_defaults(handler=_cli_list)


def _read_new_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Repeat the password: ") != first:
            raise AccountError("The two passwords differ.")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _cli_create_admin(args: argparse.Namespace) -> int:
    try:
        user = create_admin(args.name, args.login, _read_new_password(), args.email)
    except AccountError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"created admin {user.login!r} (user {user.id})")
    return 0


def _cli_unlock(args: argparse.Namespace) -> int:
    print(f"cleared {unlock(args.login)} failed sign-ins for {normal_login(args.login)!r}")
    return 0


def _cli_list(args: argparse.Namespace) -> int:
    with transaction() as session:
        for user in session.scalars(select(User).order_by(User.id)):
            state = "" if user.active else "  (inactive)"
            print(f"{user.id:>5}  {user.role.value:<10} {user.login or '-':<24} {user.name}{state}")
    return 0
