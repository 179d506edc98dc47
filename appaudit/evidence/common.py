"""Small types shared by every evidence section."""

from __future__ import annotations

from enum import StrEnum


class Confidence(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
