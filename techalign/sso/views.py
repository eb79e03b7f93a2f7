"""The sign-in page and the two ends of the company sign-in round trip."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.views.generic import View
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from techalign.core.errors import Refused
from techalign.org.models import User
from techalign.sso import config


class SignInForm(AuthenticationForm):
    """User name and password (local or the directory's); says so when local passwords are
    turned off rather than calling a right password wrong."""

    refusal = ""

    def clean(self):
        try:
            return super().clean()
        except ValidationError as error:
            user = User.objects.filter(username=self.cleaned_data.get("username") or "").first()
            if (
                error.code == "invalid_login"
                and user is not None
                and not config.local_passwords_allowed(user)
                # Only someone who knows the password learns why it does not work.
                and user.check_password(self.cleaned_data.get("password") or "")
            ):
                self.refusal = Refused("sso.local_passwords_off", user=user.username).message
            raise


class SignInView(LoginView):
    form_class = SignInForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            company_sign_in=config.oidc_enabled(), directory_sign_in=config.ldap_enabled(), **kwargs
        )


class CompanySignInStart(OIDCAuthenticationRequestView):
    """Sends the browser to the company's OpenID provider; absent when not configured."""

    get_settings = staticmethod(config.oidc_setting)

    def __init__(self, *args, **kwargs):
        if config.oidc_enabled():
            super().__init__(*args, **kwargs)
        else:
            View.__init__(self, *args, **kwargs)

    def get(self, request):
        if not config.oidc_enabled():
            raise Http404(gettext("Company sign-in is not configured."))
        return super().get(request)


class CompanySignInCallback(OIDCAuthenticationCallbackView):
    """Back from the provider: signed in, or on the sign-in page with the reason."""

    get_settings = staticmethod(config.oidc_setting)

    @property
    def failure_url(self):
        return reverse("login")

    def login_failure(self):
        refusal = getattr(self.request, "techalign_refusal", None)
        if refusal is None:
            user = getattr(self, "user", None)
            refusal = (
                Refused("sso.user_deactivated", user=str(user))
                if user is not None and not user.is_active
                else Refused("sso.failed")
            )
        messages.error(self.request, refusal.message)
        return HttpResponseRedirect(self.failure_url)
