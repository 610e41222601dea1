"""Principals: registering people and pipelines with roles, and resolving the local user."""

from __future__ import annotations

from collections.abc import Callable

from edgedeploy.application.ports.identity import PrincipalRecord
from edgedeploy.application.ports.persistence import UnitOfWork
from edgedeploy.application.ports.system import Clock
from edgedeploy.domain.audit import next_entry
from edgedeploy.domain.errors import NotFound
from edgedeploy.domain.identity import (
    Permission,
    Principal,
    PrincipalKind,
    Role,
    valid_principal_name,
    valid_unit,
)


class ManagePrincipals:
    """Add principals, change their roles or unit, disable them (``admin``; audited)."""

    def __init__(self, uow: Callable[[], UnitOfWork], clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    def add(self, name: str, roles: frozenset[Role], *, by: Principal,
            unit: str = "") -> PrincipalRecord:
        """Register ``name`` with ``roles``.

        Raises:
            Forbidden: ``by`` is not an admin.
            Conflict: ``PRINCIPAL_DUPLICATE``.
            InvariantViolation: an invalid name or unit.
        """
        by.require(Permission.MANAGE_PRINCIPALS)
        record = PrincipalRecord(valid_principal_name(name), roles, valid_unit(unit),
                                 self._clock.now(), by.name)
        with self._uow() as uow:
            uow.principals.add(record)
            self._audit(uow, record, "principal-added", by)
            uow.commit()
        return record

    def change(self, name: str, *, by: Principal, roles: frozenset[Role] | None = None,
               unit: str | None = None, disabled: bool | None = None) -> PrincipalRecord:
        """Change what is given of ``name``'s roles, unit or disabled flag.

        Raises:
            Forbidden: ``by`` is not an admin.
            NotFound: ``PRINCIPAL_NOT_FOUND``.
        """
        by.require(Permission.MANAGE_PRINCIPALS)
        with self._uow() as uow:
            old = uow.principals.get(name)
            if old is None:
                raise NotFound(f"no principal {name}", code="PRINCIPAL_NOT_FOUND")
            new = PrincipalRecord(
                old.name, old.roles if roles is None else roles,
                old.unit if unit is None else valid_unit(unit), old.created_at, old.created_by,
                old.disabled if disabled is None else disabled)
            uow.principals.update(new)
            self._audit(uow, new, "principal-changed", by)
            uow.commit()
        return new

    def list(self, *, by: Principal) -> list[PrincipalRecord]:
        """Every principal (any authenticated reader)."""
        by.require(Permission.READ)
        with self._uow() as uow:
            return uow.principals.list()

    def _audit(self, uow: UnitOfWork, record: PrincipalRecord, action: str,
               by: Principal) -> None:
        uow.audit.append(next_entry(
            uow.audit.last(), self._clock.now(), f"principal:{record.name}", action,
            "disabled" if record.disabled else "active", by.name,
            {"roles": sorted(record.roles), "unit": record.unit}))


class ResolveLocalPrincipal:
    """The principal a local CLI user acts as: their OS login, never ``unknown``.

    A login registered as a principal gets its recorded roles and unit. An unregistered login
    gets ``default_roles`` (the embedded default is every role: the person who owns the home
    directory owns its database too); a shared installation configures fewer and issues tokens.
    """

    def __init__(self, uow: Callable[[], UnitOfWork], default_roles: frozenset[Role]) -> None:
        self._uow, self._default = uow, default_roles

    def __call__(self, login: str) -> Principal:
        """The principal for OS login ``login``."""
        with self._uow() as uow:
            record = uow.principals.get(login)
        if record is not None:
            return record.principal(PrincipalKind.OS_USER)
        return Principal(valid_principal_name(login), self._default, PrincipalKind.OS_USER)




class UnitOf:
    """The organisation unit of a registered principal ("" for a name the register lacks).

    Independence levels I2/I3 compare units of the people involved in an item; the register,
    not the evidence record, is where a unit is kept.
    """

    def __init__(self, uow: Callable[[], UnitOfWork]) -> None:
        self._uow = uow

    def __call__(self, name: str) -> str:
        """``name``'s unit."""
        with self._uow() as uow:
            record = uow.principals.get(name)
        return "" if record is None else record.unit


__all__ = ["ManagePrincipals", "ResolveLocalPrincipal", "UnitOf"]
