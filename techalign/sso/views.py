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
from mozilla_django_oidc.views import (  # type: ignore[import-untyped]
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from techalign.core.errors import Refused
from techalign.org.models import User
from techalign.sso import config


class SignInForm(AuthenticationForm):
    """User name and password (local or the directory's). A right password that cannot sign in
    gets its reason (deactivated; local passwords turned off) rather than being called wrong;
    only someone who knows the password learns the reason."""

    refusal = ""

    def clean(self):
        try:
            return super().clean()
        except ValidationError as error:
            self.refusal = self.reason(error.code)
            raise

    def reason(self, code: str | None) -> str:
        user = self.get_user() if code == "inactive" else None
        if user is None and code == "invalid_login":
            user = User.objects.filter(username=self.cleaned_data.get("username") or "").first()
            if user is None or not user.check_password(self.cleaned_data.get("password") or ""):
                return ""
        if user is None:
            return ""
        if not user.is_active:
            return Refused("sso.user_deactivated", user=str(user)).message
        if not config.local_passwords_allowed(user):
            return Refused("sso.local_passwords_off", user=user.username).message
        return ""


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
