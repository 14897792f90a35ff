"""The ``digestbot`` command line: ``parser`` builds it from the commands that each module of
this package declares (``demo``, ``once`` and ``run``, ``search``, ``check-config``,
``classify``, ``stats`` and ``status``, ``feeds``, the chats, ``export`` and ``import``).

Importing it loads no chat platform and no SDK: a command imports what it uses when it runs.
"""

from bot.cli.parser import build_parser, main

__all__ = ["build_parser", "main"]
