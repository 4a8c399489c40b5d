"""``load_demo --with-accounts``: a superuser, a coordinator per demo network and staff for two
providers of each network, printed as ``username / password  (role)``."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from network.models import Network
from workspace.access import access_for
from workspace.models import RoleAssignment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _embedded(monkeypatch):
    """load_demo as on the embedded database (without --force it writes nothing into a
    DATABASE_URL, and the suite may run on one)."""
    monkeypatch.delenv("DATABASE_URL", raising=False)


LINE = re.compile(r"^(\S+) / (\S+)  \((.+)\)$", re.MULTILINE)


def test_demo_accounts_cover_every_role_and_network(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = StringIO()
    call_command("load_demo", "--with-accounts", verbosity=0, stdout=out)
    lines = LINE.findall(out.getvalue())
    users = {username: (password, role) for username, password, role in lines}
    assert users["admin"][1] == "Superuser"
    User = get_user_model()
    for network in Network.objects.filter(slug__in=[s for s in _demo_network_slugs()]):
        coordinators = [
            name
            for name, (_, role) in users.items()
            if role == f"Netzwerkkoordination: {network.name}"
        ]
        assert len(coordinators) == 1, network
        user = User.objects.get(username=coordinators[0])
        assert user.check_password(users[user.username][0])
        assert access_for(user).network_ids == {network.pk}
        staff = RoleAssignment.objects.filter(
            kind=RoleAssignment.Kind.PROVIDER_STAFF,
            user__username__in=list(users),
            organisation__memberships__network=network,
        )
        assert staff.values("organisation").distinct().count() >= 2, network
    for username, (password, role) in users.items():
        user = User.objects.get(username=username)
        assert user.is_active and user.is_staff and user.check_password(password)
        if role.startswith("Anbieter-Redaktion"):
            organisation = user.role_assignments.get().organisation
            assert role.startswith(f"Anbieter-Redaktion: {organisation.name}")
            assert not user.is_superuser
    # Loading again (tests/atlas/test_demo.py) resets the passwords of the same accounts.


def _demo_network_slugs():
    from atlas.demo import read_files

    return [data["network"]["slug"] for data in read_files() if "network" in data]
