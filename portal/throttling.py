"""Login throttling on top of django-axes: who the client is, and when to refuse them.

Two counters, both keyed on the client's address so that nobody can lock a named person
out from elsewhere:

- username + address: ``AXES_FAILURE_LIMIT`` wrong passwords (5) lock that pair;
- address alone: ``AXES_IP_FAILURE_LIMIT`` failures (30) across any usernames lock the
  address, which slows password spraying (one password tried on many accounts).

The client's address is the socket peer (``REMOTE_ADDR``) unless that peer is one of
``TRUSTED_PROXIES``; only then is ``X-Forwarded-For`` read, from the right, skipping
the trusted proxies. A header sent by anyone else is ignored, so a client cannot pick
the address its failures are counted against. (django-ipware matches trusted proxies
inside the header itself and never checks the peer, which a client can forge.)
"""

import ipaddress
from functools import lru_cache

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum


@lru_cache(maxsize=8)
def _networks(entries):
    # Entries were checked when the settings were read (EnvReader.networks).
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def parse_networks(entries):
    return _networks(tuple(entries))


def _address(text):
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket (::ffff:192.0.2.1) is the IPv4 client.
    return getattr(address, "ipv4_mapped", None) or address


def _trusted(address, networks):
    return any(address.version == network.version and address in network for network in networks)


def client_ip(request):
    """The address login failures are counted against (``AXES_CLIENT_IP_CALLABLE``)."""
    networks = parse_networks(settings.TRUSTED_PROXIES)
    peer = _address(request.META.get("REMOTE_ADDR", ""))
    if peer is None:
        return request.META.get("REMOTE_ADDR", "")
    if not _trusted(peer, networks):
        return str(peer)
    # The right-most hop was added by our own proxy; walk left while hops are ours.
    client = peer
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # garbage before a trusted hop: the last trusted answer stands
        client = address
        if not _trusted(address, networks):
            break
    return str(client)


class LoginThrottleHandler(AxesDatabaseHandler):
    """Counts failures per (username, address) and per address, each against its own limit.

    ``AXES_LOCKOUT_PARAMETERS`` is ``[["username", "ip_address"], "ip_address"]``; axes
    compares the largest of the counters with one limit, so ``get_failures`` reports
    the pair's count, or the limit itself once the address has reached its own.
    """

    def counts(self, request, credentials=None):
        """Recent failures of (this username, this address) and of this address."""
        pair, address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        return pair, address

    def get_failures(self, request, credentials=None):
        pair, address = self.counts(request, credentials)
        if address >= settings.AXES_IP_FAILURE_LIMIT:
            return max(pair, settings.AXES_FAILURE_LIMIT)
        return pair

    def reset_user_attempts(self, request, credentials=None):
        """A successful login clears that username's failures from this address only: an
        attacker who owns one account must not wipe the address counter of a spray."""
        pair_attempts = self.filter_user_attempts(request, credentials)[0]
        count, _ = pair_attempts.delete()
        return count


def address_locked(request, credentials=None):
    """Whether the address itself (not only one username from it) is locked."""
    return LoginThrottleHandler().counts(request, credentials)[1] >= settings.AXES_IP_FAILURE_LIMIT
