"""The check result as JSON: the verdicts and score, with the input and app they are about."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from appaudit.evidence import codec

if TYPE_CHECKING:
    from appaudit.checker.model import CheckResult
    from appaudit.evidence.model import EvidenceBundle


def to_json(result: CheckResult, bundle: EvidenceBundle | None) -> str:
    """``results`` and ``score`` exactly as in ``verdicts.json``, plus ``tool``, ``input`` and ``app``."""
    data: dict[str, object] = {}
    if bundle is not None:
        data["tool"] = codec.to_jsonable(bundle.tool)
        data["input"] = codec.to_jsonable(bundle.input)
        data["app"] = (
            {
                "package": bundle.app.package,
                "version_name": bundle.app.version_name,
                "version_code": bundle.app.version_code,
            }
            if bundle.app
            else None
        )
    data.update(codec.to_jsonable(result))
    return json.dumps(data, ensure_ascii=False, indent=2)
