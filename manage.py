#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - load settings now, to report a bad variable in one line
    except ImproperlyConfigured as error:
        sys.exit(
            f"Configuration error: {error}\n"
            "For a local run, `export DEBUG=true` (a secret key is then kept under var/); see README.md."
        )
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
