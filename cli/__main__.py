"""``python -m minutes_qa.cli``: the ``minutes`` command, for subprocesses and environments without the script."""

from .app import main

main()
