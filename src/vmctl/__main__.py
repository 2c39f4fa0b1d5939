"""Allow ``python -m vmctl``."""

from vmctl.cli.main import main

main()
