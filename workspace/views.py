from base64 import b32encode

import segno
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from workspace import security, services
from workspace.forms import TwoFactorSetupForm


class TwoFactorSetupView(View):
    """Set up the authenticator app: scan the code (or type the key), confirm with a code.
    Once it is set up: create one-time backup codes (shown once) for a lost phone.

    Each visit makes a new key, kept in the session until it is confirmed: a code confirms
    only the key this session was shown last, and nothing is stored before that."""

    admin_site = None
    template_name = "admin/workspace/two_factor.html"
    session_key = "workspace_two_factor_key"

    def pending_device(self, request, *, new: bool) -> TOTPDevice:
        """An unsaved device with the session's pending key (a new key when ``new`` or when
        the session has none)."""
        key = None if new else request.session.get(self.session_key)
        if not key:
            key = security.new_app_key()
            request.session[self.session_key] = key
        return TOTPDevice(user=request.user, name=_("Authenticator-App"), key=key)

    def render(self, request, form, device, backup_codes=()):
        key = b32encode(device.bin_key).decode().rstrip("=") if device else ""
        user = request.user
        is_verified = getattr(user, "is_verified", None)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Zwei-Faktor-Anmeldung"),
            "form": form,
            "device": device,
            "configured": security.has_two_factor(request.user),
            "required": security.two_factor_required(request.user),
            "qr_code": segno.make(device.config_url, error="m").svg_data_uri(scale=4)
            if device
            else "",
            "key_groups": [key[i : i + 4] for i in range(0, len(key), 4)],
            "backup_codes": [f"{code[:4]} {code[4:]}" for code in backup_codes],
            "backup_codes_left": security.backup_codes_left(user),
            "backup_code_count": security.BACKUP_CODE_COUNT,
            # New codes only from a session that gave a code of the app at log-in.
            "can_make_backup_codes": bool(is_verified and is_verified()),
        }
        return TemplateResponse(request, self.template_name, context)

    def get(self, request):
        if security.has_two_factor(request.user):
            return self.render(request, None, None)
        device = self.pending_device(request, new=True)
        return self.render(request, TwoFactorSetupForm(), device)

    def post(self, request):
        if security.has_two_factor(request.user):
            return self.post_backup_codes(request)
        form = TwoFactorSetupForm(request.POST)
        device = None
        if form.is_valid():
            try:
                device = services.two_factor_set_up(
                    user=request.user,
                    key=request.session.get(self.session_key, ""),
                    token=form.cleaned_data["token"],
                )
            except ValidationError as error:
                form.add_error("token", error)
        if device is None:
            # The same key again, so that a mistyped code needs no new scan.
            return self.render(request, form, self.pending_device(request, new=False))
        del request.session[self.session_key]
        otp_login(request, device)
        messages.success(
            request,
            _(
                "Die Zwei-Faktor-Anmeldung ist eingerichtet. Erzeugen Sie jetzt Backup-Codes, "
                "falls Sie Ihr Telefon einmal nicht zur Hand haben."
            ),
        )
        return HttpResponseRedirect(reverse("admin:two_factor"))

    def post_backup_codes(self, request):
        """New backup codes, shown in this response only (never stored for display)."""
        is_verified = getattr(request.user, "is_verified", None)
        if request.POST.get("action") != "backup_codes" or not (is_verified and is_verified()):
            messages.error(
                request,
                _(
                    "Backup-Codes können Sie nur erzeugen, wenn Sie sich mit dem Code Ihrer "
                    "Authenticator-App angemeldet haben."
                ),
            )
            return HttpResponseRedirect(reverse("admin:two_factor"))
        codes = services.backup_codes_generate(user=request.user)
        return self.render(request, None, None, backup_codes=codes)


RESET_LIMITED = gettext_lazy(
    "Für diese E-Mail-Adresse oder von Ihrem Anschluss aus wurden in kurzer Zeit zu viele "
    "Links zum Zurücksetzen des Passworts angefordert. Bitte versuchen Sie es in %(minutes)s "
    "Minuten erneut. Ein bereits gesendeter Link bleibt gültig."
)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset (which never says whether an account has the address), with a
    limit on how many emails one address or one client may ask for."""

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        if not security.reset_allowed(self.request, email):
            form.add_error(None, RESET_LIMITED % {"minutes": security.reset_wait_minutes()})
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)
