"""Who a user is in the workspace: superuser, provider staff of some organisations, coordinator
of some networks (or several of these at once).

``access_for(user)`` is read once per user object (two small queries) and cached on it, so
every scope and permission check of a request shares it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workspace.models import RoleAssignment

SUPERUSER = "superuser"
COORDINATOR = "coordinator"
PROVIDER_STAFF = "provider_staff"
ROLES = (SUPERUSER, COORDINATOR, PROVIDER_STAFF)


@dataclass(frozen=True)
class Access:
    is_superuser: bool = False
    organisation_ids: frozenset[int] = frozenset()  # provider staff of these organisations
    network_ids: frozenset[int] = frozenset()  # coordinator of these networks
    # What scopes read once per request (the organisations in reach): an Access lives as long
    # as its user object, i.e. one request.
    memo: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def roles(self) -> frozenset[str]:
        roles = set()
        if self.is_superuser:
            roles.add(SUPERUSER)
        if self.network_ids:
            roles.add(COORDINATOR)
        if self.organisation_ids:
            roles.add(PROVIDER_STAFF)
        return frozenset(roles)

    @property
    def is_coordinator(self) -> bool:
        return bool(self.network_ids)

    @property
    def is_provider_staff(self) -> bool:
        return bool(self.organisation_ids)


NO_ACCESS = Access()
_CACHE = "_workspace_access"


def access_for(user) -> Access:
    """The roles of an active staff user; nothing for anyone else."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NO_ACCESS
    cached = getattr(user, _CACHE, None)
    if cached is not None:
        return cached
    if user.is_superuser:
        access = Access(is_superuser=True)
    elif not user.is_staff:
        access = NO_ACCESS
    else:
        rows = RoleAssignment.objects.filter(user=user).values_list(
            "kind", "organisation_id", "network_id"
        )
        organisations, networks = set(), set()
        for kind, organisation_id, network_id in rows:
            if kind == RoleAssignment.Kind.PROVIDER_STAFF:
                organisations.add(organisation_id)
            elif kind == RoleAssignment.Kind.COORDINATOR:
                networks.add(network_id)
        access = Access(organisation_ids=frozenset(organisations), network_ids=frozenset(networks))
    setattr(user, _CACHE, access)
    return access


def forget_access(user) -> None:
    """Drop the cached roles (after they changed)."""
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)
