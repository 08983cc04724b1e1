"""Run the ``course`` command as ``python -m course``."""

from .cli import main

main()
