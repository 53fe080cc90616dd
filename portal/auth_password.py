"""Password reset by e-mail for local accounts, with Django's own views and token generator.

The link works once (the token is bound to the password hash and the last login) and for
PASSWORD_RESET_TIMEOUT; the answer is the same whether or not the address belongs to an
account; at most PASSWORD_RESET_PER_HOUR requests per client address and per e-mail address
are taken, counted whether or not the address exists. The mail is a direct security mail,
sent at once through Django's mail (not the workflow outbox), in the person's language.
People who sign in through single sign-on have no usable password and get no mail."""

import hashlib
import hmac
from datetime import timedelta

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from portal.auth_models import PasswordResetRequest
from portal.choices import AuditAction
from portal.services import record_event
from portal.throttling import client_ip

WINDOW = timedelta(hours=1)
KEEP = timedelta(days=1)


def email_digest(email):
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, email.strip().casefold().encode(), hashlib.sha256).hexdigest()


def take_reset_request(request, email):
    """Count this request; False when the address or the e-mail is over the hourly limit."""
    now = timezone.now()
    PasswordResetRequest.objects.filter(created_at__lt=now - KEEP).delete()
    ip = client_ip(request) or None
    digest = email_digest(email)
    recent = PasswordResetRequest.objects.filter(created_at__gte=now - WINDOW)
    limit = settings.PASSWORD_RESET_PER_HOUR
    if recent.filter(email_digest=digest).count() >= limit or (ip and recent.filter(client_ip=ip).count() >= limit):
        return False
    PasswordResetRequest.objects.create(created_at=now, client_ip=ip, email_digest=digest)
    return True


class ResetRequestForm(auth_forms.PasswordResetForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Send the link"), css_class="w-100"))

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        # In the person's own language, whatever the page's.
        with translation.override(getattr(context["user"], "language", None) or settings.LANGUAGE_CODE):
            super().send_mail(subject_template_name, email_template_name, context, from_email, to_email, **kwargs)


class NewPasswordForm(auth_forms.SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Set the new password"), css_class="w-100"))


class PasswordResetView(auth_views.PasswordResetView):
    form_class = ResetRequestForm
    template_name = "portal/password_reset/form.html"
    email_template_name = "portal/password_reset/email.txt"
    subject_template_name = "portal/password_reset/subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def get_extra_email_context(self):
        return {"site_url": settings.SITE_URL}

    def form_valid(self, form):
        self.extra_email_context = self.get_extra_email_context()
        if not take_reset_request(self.request, form.cleaned_data["email"]):
            return render(self.request, "portal/password_reset/throttled.html", status=429)
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "portal/password_reset/done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = NewPasswordForm
    template_name = "portal/password_reset/confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        record_event(form.user, AuditAction.PASSWORD_RESET, data={"source": "e-mail link"})
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "portal/password_reset/complete.html"
