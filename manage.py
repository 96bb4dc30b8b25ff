#!/usr/bin/env python
"""Django's command-line utility for Maitre."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        if "--traceback" in sys.argv:
            raise
        # A setting the process cannot run with (config/env.py, config/settings/prod.py): the one line that
        # says which, for the operator and the supervisor's log, instead of a traceback that ends with it.
        cause = exc.__cause__  # e.g. the ImportError under "Error loading psycopg2 or psycopg module"
        why = f" ({type(cause).__name__}: {cause})" if cause is not None else ""
        sys.stderr.write(f"maitre: {exc}{why}\n".replace("\n", " ").rstrip() + "\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
