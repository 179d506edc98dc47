"""Build small APKs for tests: from an apktool project, or as a copy of an APK with extra entries.

:func:`build_apk` writes an apktool project (AndroidManifest.xml, res/, smali/ — whatever the test
passes — plus an ``apktool.yml`` from :func:`apktool_yml`) and builds it with Debian's ``apktool b``,
offline. The result is unsigned. A test that needs it is skipped when apktool is not installed.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pytest

_APKTOOL_YML = """\
!!brut.androlib.meta.MetaInfo
apkFileName: {apk_name}
compressionType: false
doNotCompress:
- resources.arsc
isFrameworkApk: false
packageInfo:
  forcedPackageId: '127'
  renameManifestPackage: null
sdkInfo:
{sdk_info}sharedLibrary: false
sparseResources: false
unknownFiles: {{}}
usesFramework:
  ids:
  - 1
  tag: null
version: 2.7.0
versionInfo:
  versionCode: '{version_code}'
  versionName: '{version_name}'
"""


def require_apktool() -> None:
    """Skip the calling test (or fixture) when Debian's apktool is not on PATH."""
    if shutil.which("apktool") is None:
        pytest.skip("apktool is not installed")


def apktool_yml(
    apk_name: str, *, min_sdk: int, target_sdk: int | None = None, version_code: int, version_name: str
) -> str:
    """The ``apktool.yml`` of a project: file name, SDK levels (targetSdk only if given) and version."""
    sdk_info = f"  minSdkVersion: '{min_sdk}'\n"
    if target_sdk is not None:
        sdk_info += f"  targetSdkVersion: '{target_sdk}'\n"
    return _APKTOOL_YML.format(
        apk_name=apk_name, sdk_info=sdk_info, version_code=version_code, version_name=version_name
    )


def resources_xml(body: str) -> str:
    """A ``res/values*/*.xml`` file holding ``body`` (e.g. ``<string name="x">y</string>``)."""
    return f'<?xml version="1.0" encoding="utf-8"?>\n<resources>{body}</resources>\n'


def write_tree(root: Path, files: Mapping[str, str]) -> None:
    """Write each text file (path relative to ``root``) as UTF-8, creating folders as needed."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def build_apk(
    directory: Path,
    apk_name: str,
    files: Mapping[str, str],
    *,
    min_sdk: int,
    target_sdk: int | None = None,
    version_code: int,
    version_name: str,
) -> Path:
    """Build ``directory/apk_name`` with ``apktool b`` from ``files`` written to ``directory/src``.

    ``files`` maps project paths (``AndroidManifest.xml``, ``res/...``, ``smali/...``) to their
    text; ``apktool.yml`` is added from the keyword arguments. Skips the test without apktool.
    """
    require_apktool()
    project = directory / "src"
    yml = apktool_yml(
        apk_name, min_sdk=min_sdk, target_sdk=target_sdk, version_code=version_code, version_name=version_name
    )
    write_tree(project, {"apktool.yml": yml, **files})
    out = directory / apk_name
    subprocess.run(["apktool", "b", str(project), "-o", str(out)], check=True, capture_output=True, timeout=300)
    return out


def copy_with_entries(source: Path, target: Path, extra: Mapping[str, bytes]) -> Path:
    """Copy the APK ``source`` to ``target`` entry by entry, then append the ``extra`` entries."""
    with zipfile.ZipFile(io.BytesIO(source.read_bytes())) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename))
        for name, data in extra.items():
            zout.writestr(name, data)
    return target
