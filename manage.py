#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

from atlas.database import COMMAND_STATEMENT_TIMEOUT_MS


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atlas.settings")
    if sys.argv[1:2] != ["runserver"]:
        # Commands and jobs may run long statements; web requests keep the short limit.
        os.environ.setdefault("STATEMENT_TIMEOUT_MS", str(COMMAND_STATEMENT_TIMEOUT_MS))
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
