"""The built-in demo app: the ``violating`` fixture APK, shipped as package data."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import as_file, files
from pathlib import Path

from appaudit.errors import InputError

DEMO_RESOURCE = ("demo", "violating.apk")


@contextmanager
def demo_apk() -> Iterator[Path]:
    """A filesystem path to the demo APK for the duration of the block."""
    resource = files("appaudit.data").joinpath(*DEMO_RESOURCE)
    if not resource.is_file():
        raise InputError("the demo APK is missing from this installation (appaudit/data/demo/violating.apk)")
    with as_file(resource) as path:
        yield path
