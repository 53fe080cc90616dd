"""The OpenID Connect authentication backend: mozilla-django-oidc's code flow, with the token
checks it leaves out (issuer and audience of the ID token, the userinfo's subject) and the
portal's own account service (``accounts.sign_in``).

Nothing here reads the network or the provider's settings until a callback is handled:
Django builds every backend for every password sign-in too."""

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from portal.auth_sso import provider
from portal.auth_sso.accounts import sign_in
from portal.auth_sso.errors import Reason, SsoRefused

# Clock difference tolerated between the provider and this server.
LEEWAY_SECONDS = 60


class OidcBackend(OIDCAuthenticationBackend):
    def __init__(self, *args, **kwargs):
        self.UserModel = get_user_model()

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self):  # noqa: N802 - the library's attribute names
        return provider.endpoint("token_endpoint")

    @property
    def OIDC_OP_USER_ENDPOINT(self):  # noqa: N802
        return provider.endpoint("userinfo_endpoint")

    @property
    def OIDC_OP_JWKS_ENDPOINT(self):  # noqa: N802
        return provider.endpoint("jwks_uri")

    @property
    def OIDC_RP_CLIENT_ID(self):  # noqa: N802
        return settings.OIDC_RP_CLIENT_ID

    @property
    def OIDC_RP_CLIENT_SECRET(self):  # noqa: N802
        return settings.OIDC_RP_CLIENT_SECRET

    @property
    def OIDC_RP_SIGN_ALGO(self):  # noqa: N802
        return settings.OIDC_RP_SIGN_ALGO

    OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request, **kwargs):
        # Only the callback (which passes the nonce) signs in here; never a password form.
        if request is None or "nonce" not in kwargs or not settings.SSO_ENABLED:
            return None
        return super().authenticate(request, **kwargs)

    def _verify_jws(self, payload, key):
        try:
            header = jwt.get_unverified_header(payload)
        except jwt.PyJWTError as error:
            raise SsoRefused(Reason.TOKEN_INVALID, detail="ID token is not a JWT") from error
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SsoRefused(Reason.TOKEN_INVALID, detail=f"ID token algorithm {header.get('alg')!r}")
        client_id = self.OIDC_RP_CLIENT_ID
        try:
            claims = jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=client_id,
                issuer=provider.configuration()["issuer"],
                leeway=LEEWAY_SECONDS,
                options={"require": ["iss", "aud", "sub", "exp", "iat"]},
            )
        except jwt.InvalidAudienceError as error:
            raise SsoRefused(Reason.TOKEN_INVALID, detail="ID token issued for another client") from error
        except jwt.InvalidIssuerError as error:
            raise SsoRefused(Reason.TOKEN_INVALID, detail="ID token from another issuer") from error
        except jwt.PyJWTError as error:
            raise SsoRefused(Reason.TOKEN_INVALID, detail=f"ID token refused: {type(error).__name__}") from error
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != client_id:
            raise SsoRefused(Reason.TOKEN_INVALID, detail="ID token authorised for another party")
        return claims

    def verify_token(self, token, **kwargs):
        if not token:
            raise SsoRefused(Reason.TOKEN_INVALID, detail="no ID token in the token response")
        try:
            return super().verify_token(token, **kwargs)
        except SuspiciousOperation as error:
            raise SsoRefused(Reason.TOKEN_INVALID, detail=str(error)[:200]) from error

    def get_or_create_user(self, access_token, id_token, payload):
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if not isinstance(userinfo, dict) or userinfo.get("sub") != payload.get("sub"):
            raise SsoRefused(Reason.TOKEN_INVALID, detail="userinfo names another subject")
        # The ID token's claims, completed by userinfo (which carries the profile and groups).
        return sign_in({**payload, **userinfo}, issuer=payload["iss"])
