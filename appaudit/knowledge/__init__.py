"""appaudit's knowledge base: PI types, permissions, sensitive APIs and SDK signatures.

Each module loads one YAML file from ``appaudit/data`` (see its README), validates it and exposes
frozen dataclasses. Loading is cached; a broken data file raises :class:`~appaudit.errors.DataFileError`.
"""
