"""Log-in lock, two-factor log-in, password reset, and the settings that secure sessions."""

import io
import re
import secrets
from base64 import b32decode, b32encode

import pytest
from bs4 import BeautifulSoup
from django.conf import settings as django_settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.atlas.test_settings import _manage
from workspace import services
from workspace.models import LoginFailure

pytestmark = pytest.mark.django_db
PASSWORD = "Lernende-Region-2031"


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def member(world):
    world.coordinator.set_password(PASSWORD)
    world.coordinator.email = "koordination@example.org"
    world.coordinator.save()
    return world.coordinator


def soup_of(response):
    return BeautifulSoup(response.content, "html.parser")


def log_in(client, username, password=PASSWORD, **extra):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": "/admin/", **extra},
    )


def alert_text(response):
    return " ".join(e.get_text(" ", strip=True) for e in soup_of(response).select("[role=alert]"))


def code_for(device):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


# Lock ------------------------------------------------------------------------------------------


def test_repeated_failures_lock_the_user_name_with_a_clear_message(client, member, settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 3
    for _ in range(3):
        response = log_in(client, member.username, "falsch")
        assert response.status_code == 200
        assert "Lock" not in alert_text(response)
    response = log_in(client, member.username.upper())  # the right password, during the lock
    assert response.status_code == 200
    message = alert_text(response)
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in message
    assert "15 Minuten" in message
    assert "_auth_user_id" not in client.session


def test_a_successful_log_in_clears_the_failures(client, member, settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 3
    log_in(client, member.username, "falsch")
    log_in(client, member.username, "falsch")
    assert log_in(client, member.username).status_code == 302
    client.logout()
    log_in(client, member.username, "falsch")
    log_in(client, member.username, "falsch")
    assert log_in(client, member.username).status_code == 302


def test_many_failures_from_one_client_lock_every_user_name(client, member, settings):
    settings.LOGIN_FAILURES_PER_CLIENT = 4
    for i in range(4):
        log_in(client, f"gibt-es-nicht-{i}", "falsch")
    response = log_in(client, member.username)
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in alert_text(response)
    # No address is stored, only keyed hashes.
    assert not LoginFailure.objects.filter(key__contains="127.0.0.1").exists()


def test_the_lock_ends(client, member, settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 2
    log_in(client, member.username, "falsch")
    log_in(client, member.username, "falsch")
    assert "Zu viele" in alert_text(log_in(client, member.username))
    settings.LOGIN_LOCK_SECONDS = 0
    assert log_in(client, member.username).status_code == 302


def test_login_form_is_labelled_and_describes_the_code_field(client):
    soup = soup_of(client.get(reverse("admin:login")))
    form = soup.find("form", id="login-form")
    for field in form.select("input[type=text], input[type=password]"):
        assert form.find("label", attrs={"for": field["id"]}), field["name"]
    code = form.find("input", attrs={"name": "otp_token"})
    assert code["autocomplete"] == "one-time-code"
    assert soup.find(id=code["aria-describedby"]) is not None
    assert form.find("a", href=reverse("admin:password_reset"))


# Two-factor log-in -----------------------------------------------------------------------------


def test_a_set_up_second_factor_is_asked_for_and_checked(client, member):
    device = TOTPDevice.objects.create(user=member, name="App", confirmed=True)
    response = log_in(client, member.username)
    assert "Bitte den Bestätigungscode" in alert_text(response)
    response = log_in(
        client, member.username, otp_token="000000" if code_for(device) != "000000" else "111111"
    )
    assert "Bestätigungscode ist falsch" in alert_text(response)
    device.refresh_from_db()
    device.throttle_reset()  # django-otp slows down guessing after a wrong code
    response = log_in(client, member.username, otp_token=code_for(device))
    assert response.status_code == 302
    assert client.session["otp_device_id"] == device.persistent_id


def shown_key(response) -> str:
    """The key the set-up page shows (base32, in groups of four)."""
    return "".join(soup_of(response).select_one("code.otp-key").get_text().split())


def code_for_key(shown: str) -> str:
    key = b32decode(shown + "=" * (-len(shown) % 8))
    return f"{totp(key):06d}"


def test_coordinators_must_set_up_two_factor_where_required(client, member, settings):
    settings.WORKSPACE_REQUIRE_2FA = True
    assert log_in(client, member.username).status_code == 302
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:two_factor")
    assert client.get(reverse("admin:measures_course_changelist")).status_code == 302
    page = soup_of(response)
    assert page.find("img", alt=True)["src"].startswith("data:image/svg+xml")
    key = shown_key(response)
    response = client.post(reverse("admin:two_factor"), {"token": "12345x"})
    assert "Code passt nicht" in soup_of(response).get_text()
    assert shown_key(response) == key  # a typing error does not need a new scan
    response = client.post(reverse("admin:two_factor"), {"token": code_for_key(key)})
    assert response.status_code == 302
    device = TOTPDevice.objects.get(user=member)
    assert device.confirmed
    assert b32encode(device.bin_key).decode().rstrip("=") == key
    assert client.get(reverse("admin:index")).status_code == 200


def test_each_set_up_visit_makes_a_new_key_and_only_the_latest_can_be_confirmed(client, member):
    client.force_login(member)
    first = shown_key(client.get(reverse("admin:two_factor")))
    second = shown_key(client.get(reverse("admin:two_factor")))
    assert first != second
    assert not TOTPDevice.objects.filter(user=member).exists()  # nothing stored until confirmed
    response = client.post(reverse("admin:two_factor"), {"token": code_for_key(first)})
    assert response.status_code == 200
    assert "Code passt nicht" in soup_of(response).get_text()
    assert not TOTPDevice.objects.filter(user=member).exists()
    response = client.post(reverse("admin:two_factor"), {"token": code_for_key(second)})
    assert response.status_code == 302
    device = TOTPDevice.objects.get(user=member)
    assert device.confirmed
    assert b32encode(device.bin_key).decode().rstrip("=") == second


def test_a_set_up_key_is_bound_to_the_session_that_was_shown_it(client, member):
    client.force_login(member)
    key = shown_key(client.get(reverse("admin:two_factor")))
    other = Client()
    other.force_login(member)
    response = other.post(reverse("admin:two_factor"), {"token": code_for_key(key)})
    assert response.status_code == 200
    assert "Code passt nicht" in soup_of(response).get_text()
    assert not TOTPDevice.objects.filter(user=member).exists()
    # The session that was shown the key still confirms it.
    response = client.post(reverse("admin:two_factor"), {"token": code_for_key(key)})
    assert response.status_code == 302
    assert TOTPDevice.objects.get(user=member).confirmed


def test_a_session_without_the_code_is_logged_out_where_required(client, member, settings):
    settings.WORKSPACE_REQUIRE_2FA = True
    TOTPDevice.objects.create(user=member, name="App", confirmed=True)
    client.force_login(member)
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("admin:login"))
    assert "_auth_user_id" not in client.session


def test_provider_staff_need_no_second_factor(client, world, settings):
    settings.WORKSPACE_REQUIRE_2FA = True
    client.force_login(world.staff)
    assert client.get(reverse("admin:index")).status_code == 200


def test_superuser_resets_a_lost_second_factor(client, world):
    TOTPDevice.objects.create(user=world.staff, name="App", confirmed=True)
    services.backup_codes_generate(user=world.staff)
    client.force_login(world.superuser)
    client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [world.staff.pk]},
    )
    assert not TOTPDevice.objects.filter(user=world.staff).exists()
    assert not StaticDevice.objects.filter(user=world.staff).exists()


def test_reset_command_removes_app_and_backup_codes(world):
    TOTPDevice.objects.create(user=world.staff, name="App", confirmed=True)
    services.backup_codes_generate(user=world.staff)
    call_command("reset_two_factor", world.staff.username, stdout=io.StringIO())
    assert not TOTPDevice.objects.filter(user=world.staff).exists()
    assert not StaticDevice.objects.filter(user=world.staff).exists()


# Backup codes ----------------------------------------------------------------------------------


def log_in_with_app(client, member):
    device = TOTPDevice.objects.create(user=member, name="App", confirmed=True)
    assert log_in(client, member.username, otp_token=code_for(device)).status_code == 302
    return device


def test_backup_codes_are_shown_once_and_each_logs_in_once(client, member):
    log_in_with_app(client, member)
    page = soup_of(client.get(reverse("admin:two_factor")))
    assert "0 unbenutzte Backup-Codes" in page.get_text(" ", strip=True)
    assert page.find("input", attrs={"name": "action", "value": "backup_codes"})

    response = client.post(reverse("admin:two_factor"), {"action": "backup_codes"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    shown = [li.get_text(strip=True) for li in soup_of(response).select("#backup-code-list li")]
    assert len(shown) == 10 and len(set(shown)) == 10
    assert all(re.fullmatch(r"[a-z2-7]{4} [a-z2-7]{4}", code) for code in shown)
    # Shown once: the page afterwards counts them but does not show them again.
    page = soup_of(client.get(reverse("admin:two_factor")))
    assert not page.select("#backup-code-list")
    assert "10 unbenutzte Backup-Codes" in page.get_text(" ", strip=True)
    assert not any(code in page.get_text() for code in shown)

    # Without the phone: a backup code instead of the app's code (as shown, with the space).
    client.logout()
    response = log_in(client, member.username, otp_token=shown[0].upper())
    assert response.status_code == 302
    static = StaticDevice.objects.get(user=member)
    assert client.session["otp_device_id"] == static.persistent_id
    notice = soup_of(client.get(reverse("admin:index"))).get_text(" ", strip=True)
    assert "mit einem Backup-Code angemeldet" in notice and "noch 9 Codes" in notice

    # Each code works once.
    client.logout()
    response = log_in(client, member.username, otp_token=shown[0])
    assert "Bestätigungscode ist falsch" in alert_text(response)
    assert "_auth_user_id" not in client.session
    static.refresh_from_db()
    static.throttle_reset()  # django-otp slows down guessing after a wrong code
    assert log_in(client, member.username, otp_token=shown[1]).status_code == 302
    assert StaticToken.objects.filter(device__user=member).count() == 8


def test_new_backup_codes_replace_the_old_ones(client, member):
    TOTPDevice.objects.create(user=member, name="App", confirmed=True)
    old = services.backup_codes_generate(user=member)
    new = services.backup_codes_generate(user=member)
    assert len(new) == 10 and not set(old) & set(new)
    assert StaticDevice.objects.filter(user=member).count() == 1
    response = log_in(client, member.username, otp_token=old[0])
    assert "Bestätigungscode ist falsch" in alert_text(response)


def test_backup_codes_need_the_app_and_a_session_verified_with_it(client, member):
    with pytest.raises(ValidationError):
        services.backup_codes_generate(user=member)
    TOTPDevice.objects.create(user=member, name="App", confirmed=True)
    client.force_login(member)  # logged in, but never gave the app's code in this session
    page = soup_of(client.get(reverse("admin:two_factor")))
    assert not page.find("input", attrs={"name": "action", "value": "backup_codes"})
    response = client.post(reverse("admin:two_factor"), {"action": "backup_codes"}, follow=True)
    assert "nur erzeugen, wenn Sie sich mit dem Code" in soup_of(response).get_text()
    assert not StaticToken.objects.filter(device__user=member).exists()


def test_a_wrong_app_code_does_not_slow_down_the_backup_codes(client, member):
    TOTPDevice.objects.create(user=member, name="App", confirmed=True)
    codes = services.backup_codes_generate(user=member)
    log_in(client, member.username, otp_token="000000")
    log_in(client, member.username, otp_token="999999")
    assert log_in(client, member.username, otp_token=codes[0]).status_code == 302


# Password reset ------------------------------------------------------------------------------


def test_password_reset_by_email(client, member):
    response = client.post(reverse("admin:password_reset"), {"email": member.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/admin/passwort-neu/\S+/)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    assert response.status_code == 200
    new = "Neues-Passwort-" + secrets.token_hex(4)
    response = client.post(
        response.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password(new)


def reset(client, email, **extra):
    return client.post(reverse("admin:password_reset"), {"email": email}, **extra)


def test_password_reset_emails_are_limited_per_address(client, member, settings):
    settings.PASSWORD_RESETS_PER_EMAIL = 2
    assert reset(client, member.email).status_code == 302
    assert reset(client, member.email.upper()).status_code == 302
    assert len(mail.outbox) == 2
    response = reset(client, member.email)
    assert response.status_code == 429
    message = alert_text(response)
    assert "zu viele" in message and "60 Minuten" in message
    assert len(mail.outbox) == 2
    # Another address from the same client is not held up by this one.
    assert reset(client, "jemand-anders@example.org").status_code == 302
    # No address is stored, only keyed hashes.
    assert not LoginFailure.objects.filter(key__icontains="example.org").exists()


def test_password_reset_limit_does_not_reveal_whether_an_account_exists(client, member, settings):
    settings.PASSWORD_RESETS_PER_EMAIL = 1
    unknown = "niemand-hier@example.org"
    answers = {}
    for email in (member.email, unknown):
        first = reset(client, email)
        limited = reset(client, email)
        answers[email] = (first.status_code, limited.status_code, alert_text(limited))
    assert answers[member.email] == answers[unknown]
    assert answers[unknown][:2] == (302, 429)
    assert len(mail.outbox) == 1  # only the real account got an email


def test_password_reset_requests_are_limited_per_client(client, member, settings):
    settings.PASSWORD_RESETS_PER_CLIENT = 3
    for i in range(3):
        assert reset(client, f"versuch-{i}@example.org").status_code == 302
    response = reset(client, member.email)
    assert response.status_code == 429 and "zu viele" in alert_text(response)
    assert mail.outbox == []
    # Another client may still ask.
    assert reset(client, member.email, REMOTE_ADDR="10.1.2.3").status_code == 302
    assert len(mail.outbox) == 1


def test_password_reset_limit_ends_and_keeps_the_login_lock_apart(client, member, settings):
    settings.PASSWORD_RESETS_PER_EMAIL = 1
    settings.LOGIN_FAILURES_PER_USERNAME = 100
    reset(client, member.email)
    # Failed log-ins clean up old rows; they must not wipe the reset count (longer window).
    settings.LOGIN_LOCK_SECONDS = 0
    log_in(client, member.username, "falsch")
    assert reset(client, member.email).status_code == 429
    settings.PASSWORD_RESET_WINDOW_SECONDS = 0
    assert reset(client, member.email).status_code == 302


def test_password_reset_rejects_a_malformed_address_with_a_message(client):
    response = reset(client, "keine-adresse")
    assert response.status_code == 200
    assert soup_of(response).select(".errorlist")
    assert "Bitte korrigieren" in alert_text(response)
    assert mail.outbox == []


def test_weak_passwords_are_refused():
    names = [item["NAME"].rsplit(".", 1)[1] for item in django_settings.AUTH_PASSWORD_VALIDATORS]
    assert "MinimumLengthValidator" in names and "CommonPasswordValidator" in names


def test_production_requires_two_factor_and_secure_sessions():
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.WORKSPACE_REQUIRE_2FA, "
        "s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_NAME)",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="bildungsatlas.example.org",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-4:] == ["True", "True", "True", "__Host-sessionid"]
