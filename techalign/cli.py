"""The `techalign` command: everything manage.py does, plus serve, demo, token, worker."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "techalign.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line([os.path.basename(sys.argv[0]) or "techalign", *sys.argv[1:]])


if __name__ == "__main__":
    main()
