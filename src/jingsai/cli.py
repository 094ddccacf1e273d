"""The `jingsai` console script: Django's management commands for this project.

Hyphenated names map to the commands' underscores (`jingsai demo-data` runs demo_data),
and each noun of headless-interface.md is a command with sub-commands
(`jingsai orgs import FILE.xlsx`)."""

import os
import sys


def main(argv=None):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingsai.settings")
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
