"""`python -m mediaground.cli` runs the `mediaground` command."""

from mediaground.cli import main

main()
