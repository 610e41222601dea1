"""Who may do what: principals, their roles, and the permission each action needs.

Roles are data (:data:`ROLE_PERMISSIONS`), not code paths, so a safety manager reads the whole
access policy in one table (IEC 62443-3-3 SR 1.1/2.1: identification and least privilege).
The actor of every recorded fact is a :class:`Principal` that an entrypoint authenticated;
names typed into a request body are never trusted.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from edgedeploy.domain.errors import DomainError, InvariantViolation


class Role(enum.StrEnum):
    """A bundle of permissions a principal holds."""

    VIEWER = "viewer"
    AUDITOR = "auditor"
    ENGINEER = "engineer"
    SAFETY_REVIEWER = "safety-reviewer"
    RELEASE_MANAGER = "release-manager"
    ADMIN = "admin"


class Permission(enum.StrEnum):
    """One kind of action; every use case that changes or reveals state names one."""

    READ = "read"
    EXPORT = "export"
    VERIFY_AUDIT = "verify-audit"
    REGISTER_MODEL = "register-model"
    OPTIMIZE = "optimize"
    VERIFY_MODEL = "verify-model"
    IMPORT_REQUIREMENTS = "import-requirements"
    RECORD_ARTIFACT = "record-artifact"
    RECORD_TEST_RESULT = "record-test-result"
    MONITOR = "monitor"
    REVIEW = "review"
    INDEPENDENT_REVIEW = "independent-review"
    JUDGE_DRIFT = "judge-drift"
    DEPLOY = "deploy"
    APPROVE = "approve"
    ABORT = "abort"
    ROLLBACK = "rollback"
    MANAGE_PRINCIPALS = "manage-principals"


_READ = frozenset({Permission.READ})

ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.VIEWER: _READ,
    Role.AUDITOR: _READ | {Permission.EXPORT, Permission.VERIFY_AUDIT},
    Role.ENGINEER: _READ | {
        Permission.REGISTER_MODEL, Permission.OPTIMIZE, Permission.VERIFY_MODEL,
        Permission.IMPORT_REQUIREMENTS, Permission.RECORD_ARTIFACT,
        Permission.RECORD_TEST_RESULT, Permission.MONITOR, Permission.JUDGE_DRIFT},
    Role.SAFETY_REVIEWER: _READ | {Permission.REVIEW, Permission.INDEPENDENT_REVIEW,
                                   Permission.JUDGE_DRIFT},
    Role.RELEASE_MANAGER: _READ | {Permission.DEPLOY, Permission.APPROVE, Permission.ABORT,
                                   Permission.ROLLBACK},
    Role.ADMIN: _READ | {Permission.MANAGE_PRINCIPALS},
}
"""What each role may do. Every role may read; only ``admin`` manages principals and tokens."""


def roles_granting(permission: Permission) -> tuple[Role, ...]:
    """The roles that carry ``permission``, in the table's order (for error messages)."""
    return tuple(role for role, granted in ROLE_PERMISSIONS.items() if permission in granted)


class Forbidden(DomainError):
    """The authenticated principal may not do this (HTTP 403, exit 3)."""

    code = "FORBIDDEN"


class SeparationOfDutiesViolation(Forbidden):
    """The principal holds the role but the rule of independence excludes them here."""

    code = "SEPARATION_OF_DUTIES"


class PrincipalKind(enum.StrEnum):
    """How a principal was authenticated; kept with facts so an auditor sees the channel."""

    OS_USER = "os-user"
    TOKEN = "token"
    OIDC = "oidc"
    SYSTEM = "system"


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}")
_UNIT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._ -]{0,63}(/[A-Za-z0-9][A-Za-z0-9._ -]{0,63}){0,3}")


def valid_principal_name(name: str) -> str:
    """``name`` if it can name a principal (letters, digits, ``._@+-``; at most 128).

    Raises:
        InvariantViolation: ``PRINCIPAL_NAME_INVALID``.
    """
    if not _NAME.fullmatch(name):
        raise InvariantViolation(
            f"principal name {name!r} is invalid: use 1-128 letters, digits or ._@+- , "
            "starting with a letter or digit", code="PRINCIPAL_NAME_INVALID")
    return name


def valid_unit(unit: str) -> str:
    """``unit`` if it is empty or an organisation path such as ``safety/assessment``.

    Raises:
        InvariantViolation: ``PRINCIPAL_UNIT_INVALID``.
    """
    if unit and not _UNIT.fullmatch(unit):
        raise InvariantViolation(
            f"organisation unit {unit!r} is invalid: use up to four '/'-separated names "
            "(department/team)", code="PRINCIPAL_UNIT_INVALID")
    return unit


def parse_roles(names: Iterable[str]) -> frozenset[Role]:
    """Roles from their names.

    Raises:
        InvariantViolation: ``ROLE_UNKNOWN`` naming the unknown role and the known ones.
    """
    roles: set[Role] = set()
    for name in names:
        try:
            roles.add(Role(name.strip()))
        except ValueError:
            known = ", ".join(role.value for role in Role)
            raise InvariantViolation(f"unknown role {name!r}; roles are {known}",
                                     code="ROLE_UNKNOWN") from None
    return frozenset(roles)


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated actor: a person, a CI pipeline or the service itself.

    ``unit`` is the organisation unit as a path (``department/team``); independence levels
    I2 and I3 of ISO 26262-2 compare it (see :mod:`edgedeploy.domain.separation`).
    """

    name: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    kind: PrincipalKind = PrincipalKind.OS_USER
    unit: str = ""

    def __post_init__(self) -> None:
        valid_principal_name(self.name)
        valid_unit(self.unit)

    @property
    def permissions(self) -> frozenset[Permission]:
        """Every permission any of the principal's roles grants."""
        granted: set[Permission] = set()
        for role in self.roles:
            granted |= ROLE_PERMISSIONS[role]
        return frozenset(granted)

    def can(self, permission: Permission) -> bool:
        """Whether one of the principal's roles grants ``permission``."""
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        """Refuse unless the principal may ``permission``.

        Raises:
            Forbidden: naming the principal, the action and the roles that would allow it.
        """
        if not self.can(permission):
            needed = " or ".join(role.value for role in roles_granting(permission))
            held = ", ".join(sorted(role.value for role in self.roles)) or "no role"
            raise Forbidden(f"{self.name} ({held}) may not {permission.value}: this needs the "
                            f"role {needed}")

    def scoped(self, roles: Iterable[Role]) -> Principal:
        """The same principal limited to the roles it holds among ``roles`` (token scopes)."""
        return Principal(self.name, self.roles & frozenset(roles), self.kind, self.unit)


SYSTEM = Principal("edgedeploy", frozenset(), PrincipalKind.SYSTEM)
"""The service itself, for decisions no person took (automatic promotion and roll-back)."""


__all__ = [
    "ROLE_PERMISSIONS",
    "SYSTEM",
    "Forbidden",
    "Permission",
    "Principal",
    "PrincipalKind",
    "Role",
    "SeparationOfDutiesViolation",
    "parse_roles",
    "roles_granting",
    "valid_principal_name",
    "valid_unit",
]
