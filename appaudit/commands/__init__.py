"""Command groups of the ``appaudit`` CLI that live outside ``appaudit/cli.py``.

Each module exposes one click group; ``appaudit/cli.py`` registers it with ``main.add_command``.
Modules import only click at module level, so ``appaudit --help`` stays instant.
"""
