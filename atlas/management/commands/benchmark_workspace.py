"""The workspace's pages at catalogue size, for the roles that see the most: the superuser
(every course) and the coordinator whose networks reach the most courses (or ``--coordinator``).
For each: the dashboard, every list of the admin the role may see (from the admin's own
registry, so a new list is measured without anyone adding it here), searches and filters of the
course and date lists (the review queue, incomplete offers, page 50) and a course's form::

    manage.py generate_synthetic --courses 1000000
    manage.py benchmark_workspace --repeat 5

Requests run in this process through Django's whole stack (middleware, sessions, templates) with
the settings of the environment (``DEBUG=false`` for figures), each path once unmeasured, then
``--repeat`` times: median, p95 and the slowest per path, marked above ``--budget``. It measures,
it does not judge (exit 0).
"""

from __future__ import annotations

import re
import statistics
import time

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.test import Client, RequestFactory
from django.urls import reverse

from atlas.database import WEB_STATEMENT_TIMEOUT_MS
from atlas.models import GeneratedAccount
from atlas.page_benchmark import percentile
from measures import synthetic
from measures.models import Course
from network.models import Membership, Network, Organisation
from workspace import services
from workspace.models import RoleAssignment
from workspace.scopes import courses_for_user

# Searches and filters of the lists people work in, besides each list's plain first page.
COURSE_LIST_VARIANTS = {
    "Suche „Excel“": "?q=Excel",
    "Suche nach Anbieter „Akademie“": "?q=Akademie",
    "Seite 50": "?p=49",
    "zur Prüfung (Prüfliste)": "?status__exact=submitted",
    "unvollständig": "?vollstaendig=no",
    "veraltet": "?aktuell=no",
}
DATE_LIST_VARIANTS = {"Suche „Mainz“": "?q=Mainz", "vergangen": "?aktuell=no"}


class Command(BaseCommand):
    help = (
        "Misst die Seiten des Arbeitsbereichs (Übersicht, jede Liste, Suchen und Filter, ein "
        "Angebotsformular) für die Superuserin und die Koordination mit den meisten Angeboten."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=5, help="Messungen je Pfad")
        parser.add_argument("--budget", type=float, default=500.0, help="ms; darüber markiert")
        parser.add_argument(
            "--timeout",
            type=float,
            default=WEB_STATEMENT_TIMEOUT_MS / 1000,
            help="s; statement_timeout je Abfrage wie bei Web-Anfragen",
        )
        parser.add_argument(
            "--coordinator", default="", help="Benutzername der Koordination (sonst die größte)"
        )
        parser.add_argument(
            "--network-share",
            type=float,
            default=0.0,
            help=(
                "Anteil der synthetischen Anbieter in einem synthetischen Netzwerk mit eigener "
                "Koordination (z. B. 0.05; synthetische Anbieter gehören sonst keinem Netzwerk an)"
            ),
        )

    def handle(self, *args, repeat, budget, timeout, coordinator, network_share, **options):
        if repeat < 1:
            raise CommandError("--repeat muss mindestens 1 sein.")
        if not 0 <= network_share <= 1:
            raise CommandError("--network-share liegt zwischen 0 und 1.")
        if network_share and not coordinator:
            coordinator = _synthetic_network(network_share)
        users = [("Superuser", _superuser()), ("Koordination", _coordinator(coordinator))]
        if users[1][1] is None:
            self.stdout.write(
                "Keine Koordination in der Datenbank (--network-share legt eine an).\n"
            )
        users = [(role, user) for role, user in users if user is not None]
        if not users:
            raise CommandError("Kein Superuser und keine Koordination in der Datenbank.")
        self.stdout.write(
            f"Katalog: {Course.objects.count()} Angebote; DEBUG={settings.DEBUG}; "
            f"{repeat} Messungen je Pfad nach einer ungemessenen\n"
        )
        # Each measured query ends after --timeout, as a web request's does (commands get a
        # longer one): on this connection, and on a new one after a failed request.
        options = connection.settings_dict.setdefault("OPTIONS", {})
        kept_options = options.get("options", "")
        options["options"] = (
            re.sub(r"-c statement_timeout=\d+", "", kept_options).strip()
            + f" -c statement_timeout={round(timeout * 1000)}"
        )
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            kept_timeout = cursor.fetchone()[0]
            cursor.execute("SELECT set_config('statement_timeout', %s, false)", [f"{timeout}s"])
        try:
            over = self._measure_roles(users, repeat, budget)
        finally:
            options["options"] = kept_options
            if connection.is_usable():
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT set_config('statement_timeout', %s, false)", [kept_timeout]
                    )
        self.stdout.write(f"\n{over} Seiten mit p95 über {budget:.0f} ms\n")

    def _measure_roles(self, users, repeat: int, budget: float) -> int:
        over = 0
        for role, user in users:
            client = Client(HTTP_HOST=_host(), raise_request_exception=False)
            client.force_login(user)
            reach = courses_for_user(user).count()
            self.stdout.write(f"\n{role} {user.get_username()} ({reach} Angebote)\n")
            self.stdout.write(f"{'Seite':<58} {'p50':>7} {'p95':>7} {'max':>7}  Status\n")
            for label, path in _paths(user):
                times, status = _measure(client, path, repeat)
                p50, p95 = statistics.median(times), percentile(times, 95)
                mark = " über Budget" if p95 > budget else ""
                over += bool(mark)
                self.stdout.write(
                    f"{label[:58]:<58} {p50:7.0f} {p95:7.0f} {max(times):7.0f}  {status}{mark}\n"
                )
        return over


def _host() -> str:
    hosts = [host for host in settings.ALLOWED_HOSTS if host not in ("*", "")]
    return hosts[0].lstrip(".") if hosts else "localhost"


def _superuser():
    return get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("pk").first()


def _coordinator(username: str):
    users = get_user_model().objects.filter(is_active=True)
    if username:
        user = users.filter(username=username).first()
        if user is None:
            raise CommandError(f"Kein aktives Konto „{username}“.")
        return user
    coordinators = users.filter(role_assignments__kind=RoleAssignment.Kind.COORDINATOR).distinct()
    # The one whose networks have the most member organisations (a proxy for most courses).
    return (
        coordinators.annotate(members=Count("role_assignments__network__memberships"))
        .order_by("-members", "pk")
        .first()
    )


def _synthetic_network(share: float) -> str:
    """A network of every n-th synthetic provider (``share`` of them) and its coordinator, both
    marked synthetic (``generate_synthetic --delete`` removes them); returns the user name."""
    network, _ = Network.objects.get_or_create(
        slug=synthetic.BENCHMARK_NETWORK,
        defaults={"name": "Benchmark-Netzwerk (synthetisch)", "synthetic": True},
    )
    providers = list(
        Organisation.objects.filter(synthetic=True).order_by("pk").values_list("pk", flat=True)
    )
    step = max(1, round(1 / share))
    Membership.objects.bulk_create(
        [
            Membership(network=network, organisation_id=pk, role=Membership.Role.COOPERATION)
            for pk in providers[::step]
        ],
        ignore_conflicts=True,
    )
    user, _ = get_user_model().objects.get_or_create(username=synthetic.BENCHMARK_COORDINATOR)
    GeneratedAccount.objects.get_or_create(
        user=user, defaults={"source": GeneratedAccount.Source.SYNTHETIC}
    )
    services.assign_role(user=user, kind=RoleAssignment.Kind.COORDINATOR, network=network)
    return user.get_username()


def _paths(user) -> list[tuple[str, str]]:
    paths = [("Übersicht /admin/", reverse("admin:index"))]
    request = _request_for(user)
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_view_permission(request):
            continue
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        paths.append((f"Liste {meta.verbose_name_plural}", changelist))
        variants = {}
        if model is Course:
            variants = COURSE_LIST_VARIANTS
        elif meta.label == "measures.CourseDate":
            variants = DATE_LIST_VARIANTS
        for label, query in variants.items():
            paths.append((f"  {meta.verbose_name_plural}: {label}", changelist + query))
    course = courses_for_user(user).order_by("pk").first()
    if course is not None:
        paths.append(
            ("Formular eines Angebots", reverse("admin:measures_course_change", args=[course.pk]))
        )
        paths.append(("Neues Angebot (Formular)", reverse("admin:measures_course_add")))
    return paths


def _request_for(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _measure(client: Client, path: str, repeat: int) -> tuple[list[float], str]:
    statuses = set()
    times = []
    for attempt in range(repeat + 1):
        started = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        statuses.add(response.status_code)
        if attempt:
            times.append(elapsed)
    return times, ",".join(str(status) for status in sorted(statuses))
