"""The built-in demo: the ``violating`` fixture APK and its simulated-device scenario, shipped as package data."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import as_file, files
from pathlib import Path

from appaudit.errors import InputError

DEMO_RESOURCE = ("demo", "violating.apk")
SCENARIO_RESOURCE = ("demo", "scenario")


@contextmanager
def demo_apk() -> Iterator[Path]:
    """A filesystem path to the demo APK for the duration of the block."""
    resource = files("appaudit.data").joinpath(*DEMO_RESOURCE)
    if not resource.is_file():
        raise InputError("the demo APK is missing from this installation (appaudit/data/demo/violating.apk)")
    with as_file(resource) as path:
        yield path


@contextmanager
def demo_scenario() -> Iterator[Path]:
    """A filesystem path to the demo's scenario file (its screens sit beside it) for the block."""
    resource = files("appaudit.data").joinpath(*SCENARIO_RESOURCE)
    if not resource.joinpath("demo.yaml").is_file():
        raise InputError("the demo scenario is missing from this installation (appaudit/data/demo/scenario/)")
    with as_file(resource) as path:
        yield Path(path) / "demo.yaml"
