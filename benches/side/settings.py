"""The portal's own settings with the bench's urlconf: the floor view beside every product URL.
Only the side-by-side bench uses it (its in-process client and its gunicorn); the product's
urls never include the floor."""

from portal.settings import *  # noqa: F403 - the same stack, settings and authentication

ROOT_URLCONF = "benches.side.urls"
