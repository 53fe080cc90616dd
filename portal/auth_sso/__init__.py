"""Single sign-on with OpenID Connect (mozilla-django-oidc underneath).

- ``provider``: the provider's endpoints (discovery, cached) and its logout URL;
- ``accounts``: the one service that signs a person in from verified claims (just-in-time
  account, department, roles and review groups through ``SsoGroupMapping``) and the audit of
  refusals;
- ``backend``: the authentication backend (token checks: signature, issuer, audience, nonce);
- ``views``: sign-in start, callback, refusal page, logout, the login page;
- ``middleware``: the cap on a single sign-on session's age.
"""
