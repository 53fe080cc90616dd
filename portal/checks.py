"""Deployment checks of the portal's own settings (``manage.py check --deploy``)."""

from django.conf import settings
from django.core.checks import Warning, register


@register("security", deploy=True)
def proxy_addresses_are_trusted(app_configs, **kwargs):
    """Behind a TLS proxy every connection comes from the proxy: unless its address is in
    TRUSTED_PROXIES, every visitor shares one address, and the address lockout of login
    throttling (30 failures) would lock everybody out at once."""
    if settings.SECURE_PROXY_SSL_HEADER and not settings.TRUSTED_PROXIES:
        return [
            Warning(
                "BEHIND_TLS_PROXY is on but TRUSTED_PROXIES is empty: every visitor appears to come "
                "from the proxy's address, so login throttling would count them all as one.",
                hint="Set TRUSTED_PROXIES to the addresses or networks of your own proxies.",
                id="portal.W001",
            )
        ]
    return []
