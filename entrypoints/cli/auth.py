"""``edgedeploy auth …``: who the caller is, registered principals and their API tokens.

Every command acts as the invocation's principal (``--token``/``EDGEDEPLOY_TOKEN``, else the
OS login), so adding a principal or issuing a token for someone else needs ``admin`` and is
audited under the caller's name. A token's secret is printed once, when it is created; it is
stored only as a salted hash and no command shows it again.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import click

from edgedeploy.entrypoints.cli.context import (
    CliState,
    Group,
    command_errors,
    emit_json,
    json_option,
    pass_state,
)

if TYPE_CHECKING:
    from edgedeploy.application.ports.identity import ApiToken, PrincipalRecord
    from edgedeploy.domain.identity import Role

_DURATION = re.compile(r"\s*(\d+)\s*([smhdw])\s*")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> timedelta:
    """``30d``, ``12h``, ``90m``, ``3600s`` or ``2w`` as a time span.

    Raises:
        ValueError: naming the accepted forms.
    """
    match = _DURATION.fullmatch(text)
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not a duration: use a positive number with s, m, h, d "
                         "or w, e.g. 30d or 12h")
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def _roles(ctx: click.Context, param: click.Parameter,
           value: tuple[str, ...]) -> frozenset[Role] | None:
    """Role names as roles; an unknown one is a usage error naming the known roles."""
    if not value:
        return None
    from edgedeploy.domain.errors import InvariantViolation
    from edgedeploy.domain.identity import parse_roles

    try:
        return parse_roles(name for item in value for name in item.split(",") if name.strip())
    except InvariantViolation as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def _duration(ctx: click.Context, param: click.Parameter,
              value: str | None) -> timedelta | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


ROLE_HELP = ("viewer, auditor, engineer, safety-reviewer, release-manager or admin; repeat the "
             "option (or separate with commas) for several.")


@click.group(cls=Group, example="edgedeploy auth whoami")
def auth() -> None:
    """Who you act as, registered principals and API tokens."""


@auth.command(example="EDGEDEPLOY_TOKEN=edt_… edgedeploy auth whoami --json", remote=True)
@json_option
@pass_state
@command_errors
def whoami(state: CliState, as_json: bool) -> None:
    """The principal this invocation acts as: name, how it was authenticated, roles, unit.

    With a token, also the token's id, scope and expiry. Exits 3 when the token is not valid.
    """
    if state.remote:
        from edgedeploy.entrypoints.cli import remote

        remote.whoami(state, as_json)
        return
    from edgedeploy.application.identity import token_id_of

    principal = state.principal
    presented = state.token or state.container.settings().identity.token
    token: ApiToken | None = None
    token_id = token_id_of(presented.strip()) if presented else None
    if token_id is not None:
        with state.container.uow() as uow:
            token = uow.tokens.get(token_id)
    view: dict[str, Any] = {
        "name": principal.name, "kind": principal.kind.value,
        "roles": sorted(role.value for role in principal.roles), "unit": principal.unit,
        "permissions": sorted(p.value for p in principal.permissions),
        "token": None if token is None else _token_view(token)}
    if as_json:
        emit_json(view)
        return
    from rich.text import Text

    state.console.print(Text.assemble((principal.name, "bold"), f" ({principal.kind.value})"))
    state.console.print(f"roles: {', '.join(view['roles']) or 'none'}", highlight=False)
    state.console.print(f"unit: {principal.unit or '-'}", highlight=False)
    if token is not None:
        state.console.print(f"token {token.token_id}: scope {', '.join(sorted(token.scope))}, "
                            f"expires {token.expires_at.isoformat(timespec='seconds')}",
                            highlight=False)


@auth.group(cls=Group, example="edgedeploy auth principal list")
def principal() -> None:
    """Registered people and pipelines with their roles and organisation unit."""


@principal.command("add", example="edgedeploy auth principal add alice --role safety-reviewer "
                                  "--unit safety/assessment")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, callback=_roles,
              help=f"A role to grant: {ROLE_HELP}")
@click.option("--unit", default="", help="Organisation unit as department/team (independence "
                                         "levels I2 and I3 compare it).")
@json_option
@pass_state
@command_errors
def principal_add(state: CliState, name: str, roles: frozenset[Role], unit: str,
                  as_json: bool) -> None:
    """Register NAME with roles (needs admin; audited).

    NAME is an OS login (local users registered here get these roles instead of the
    installation's default) or the name a token or OIDC identity is issued for.
    """
    record = state.container.manage_principals().add(name, roles, by=state.principal,
                                                     unit=unit)
    _print_principals(state, [record], as_json, title="Principal added", single=True)


@principal.command("list", example="edgedeploy auth principal list --json")
@json_option
@pass_state
@command_errors
def principal_list(state: CliState, as_json: bool) -> None:
    """Every registered principal with its roles, unit and who registered it."""
    records = state.container.manage_principals().list(by=state.principal)
    _print_principals(state, records, as_json, title="Principals")


@principal.command("change", example="edgedeploy auth principal change alice "
                                     "--role safety-reviewer --role auditor --unit safety")
@click.argument("name")
@click.option("--role", "roles", multiple=True, callback=_roles,
              help=f"Replace the roles with these: {ROLE_HELP}")
@click.option("--unit", default=None, help="New organisation unit (department/team).")
@click.option("--disable/--enable", "disabled", default=None,
              help="Disable the principal (its tokens stop working) or enable it again.")
@json_option
@pass_state
@command_errors
def principal_change(state: CliState, name: str, roles: frozenset[Role] | None,
                     unit: str | None, disabled: bool | None, as_json: bool) -> None:
    """Change NAME's roles, unit or disabled flag (needs admin; audited)."""
    if roles is None and unit is None and disabled is None:
        raise click.UsageError("give at least one of --role, --unit, --disable or --enable")
    record = state.container.manage_principals().change(
        name, by=state.principal, roles=roles, unit=unit, disabled=disabled)
    _print_principals(state, [record], as_json, title="Principal changed", single=True)


@auth.group(cls=Group, example="edgedeploy auth token list")
def token() -> None:
    """API tokens: for CI pipelines and for people using the HTTP API or a shared CLI."""


@token.command("create", example="edgedeploy auth token create ci-pipeline --scope engineer "
                                 "--expires-in 30d --label nightly")
@click.argument("principal_name", metavar="PRINCIPAL")
@click.option("--scope", "scope", multiple=True, callback=_roles,
              help=f"Limit the token to these of the principal's roles (all by default): "
                   f"{ROLE_HELP}")
@click.option("--expires-in", "lifetime", default=None, callback=_duration, metavar="DURATION",
              help="Lifetime such as 30d, 12h or 2w (default: identity.token_lifetime_days; "
                   "at most 366d).")
@click.option("--label", default="", help="What the token is for, shown in 'token list'.")
@json_option
@pass_state
@command_errors
def token_create(state: CliState, principal_name: str, scope: frozenset[Role] | None,
                 lifetime: timedelta | None, label: str, as_json: bool) -> None:
    """Issue an API token for PRINCIPAL (admin, or a principal for itself).

    The secret is printed now and never again: only its salted hash is stored.
    """
    container = state.container
    if lifetime is None:
        lifetime = timedelta(days=container.settings().identity.token_lifetime_days)
    issued = container.issue_token()(principal_name, by=state.principal, lifetime=lifetime,
                                     scope=scope, label=label)
    if as_json:
        emit_json({**_token_view(issued.record), "token": issued.secret})
        return
    from rich.text import Text

    record = issued.record
    state.err.print(Text("This token is shown only now: store it in a secret manager. It "
                         "cannot be recovered; revoke it and create another if it is lost.",
                         style="bold yellow"))
    state.err.print(f"token {record.token_id} for {record.principal}: scope "
                    f"{', '.join(sorted(record.scope))}, expires "
                    f"{record.expires_at.isoformat(timespec='seconds')}", highlight=False)
    click.echo(issued.secret)


@token.command("list", example="edgedeploy auth token list ci-pipeline --json")
@click.argument("principal_name", metavar="[PRINCIPAL]", required=False)
@json_option
@pass_state
@command_errors
def token_list(state: CliState, principal_name: str | None, as_json: bool) -> None:
    """Tokens of PRINCIPAL (every token for an admin), without secrets or hashes."""
    tokens = state.container.list_tokens()(by=state.principal, principal=principal_name)
    if as_json:
        emit_json([_token_view(t) for t in tokens])
        return
    from edgedeploy.entrypoints.cli.output import new_table, show

    table = new_table("API tokens", "Id", "Principal", "Scope", "Created", "By", "Expires",
                      "Revoked", "Label")
    for t in tokens:
        table.add_row(t.token_id, t.principal, ", ".join(sorted(t.scope)),
                      t.created_at.isoformat(timespec="seconds"), t.created_by,
                      t.expires_at.isoformat(timespec="seconds"),
                      t.revoked_at.isoformat(timespec="seconds") if t.revoked_at else "-",
                      t.label)
    show(state, table)


@token.command("revoke", example="edgedeploy auth token revoke 3f9a0c1d2e4b5a69")
@click.argument("token_id", metavar="TOKEN_ID")
@json_option
@pass_state
@command_errors
def token_revoke(state: CliState, token_id: str, as_json: bool) -> None:
    """Revoke TOKEN_ID at once (admin, or the token's own principal; audited)."""
    revoked = state.container.revoke_token()(token_id, by=state.principal)
    if as_json:
        emit_json(_token_view(revoked))
        return
    assert revoked.revoked_at is not None
    state.console.print(f"revoked token {revoked.token_id} of {revoked.principal} at "
                        f"{revoked.revoked_at.isoformat(timespec='seconds')}", highlight=False)


def _token_view(token: ApiToken) -> dict[str, Any]:
    """A token as shown to people: never its secret, salt or hash."""
    return {"token_id": token.token_id, "principal": token.principal,
            "scope": sorted(role.value for role in token.scope),
            "created_at": token.created_at.isoformat(), "created_by": token.created_by,
            "expires_at": token.expires_at.isoformat(),
            "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
            "label": token.label}


def _principal_view(record: PrincipalRecord) -> dict[str, Any]:
    return {"name": record.name, "roles": sorted(role.value for role in record.roles),
            "unit": record.unit, "disabled": record.disabled,
            "created_at": record.created_at.isoformat(), "created_by": record.created_by}


def _print_principals(state: CliState, records: list[PrincipalRecord], as_json: bool, *,
                      title: str, single: bool = False) -> None:
    if as_json:
        views = [_principal_view(r) for r in records]
        emit_json(views[0] if single else views)
        return
    from edgedeploy.entrypoints.cli.output import new_table, show, yes_no

    table = new_table(title, "Name", "Roles", "Unit", "Active", "Registered", "By")
    for r in records:
        table.add_row(r.name, ", ".join(sorted(r.roles)), r.unit or "-", yes_no(not r.disabled),
                      r.created_at.isoformat(timespec="seconds"), r.created_by)
    show(state, table)


__all__ = ["auth", "parse_duration"]
