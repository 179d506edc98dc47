"""Consent-guard recognition, one fixture case per rule (fixtures/apps/guards/EXPECTED.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from appaudit.evidence.model import StartupFinding
from appaudit.pipeline import scan_apk

APK = Path(__file__).resolve().parent.parent / "fixtures" / "apps" / "guards" / "guards.apk"
G = "Lcom/appaudit/fixture/guards/"


@pytest.fixture(scope="module")
def findings() -> dict[str, StartupFinding]:
    bundle = scan_apk(APK).bundle
    assert bundle.startup is not None
    by_target = {f.target: f for f in bundle.startup.findings}
    assert len(by_target) == len(bundle.startup.findings) == 6
    return by_target


def test_prefs_flag_read_that_decides_the_call_is_a_guard(findings) -> None:
    f = findings["tm_getDeviceId"]
    assert f.guard is not None
    assert f.guard.condition == 'SharedPreferences.getBoolean("user_agreed_privacy")'
    assert f.guard.method.class_name == f"{G}Cases;" and f.guard.method.name == "guardedByPrefs"
    assert "if-eqz" in f.guard.recognised_by
    assert "unreachable when the value is false" in f.guard.recognised_by


def test_boolean_field_guard(findings) -> None:
    f = findings["tm_getLine1Number"]
    assert f.guard is not None and f.guard.condition == "field sPrivacyAgreed"


@pytest.mark.parametrize(
    "target",
    [
        "tm_getSubscriberId",  # B: runs only when consent is missing
        "tm_getSimSerialNumber",  # C: negated flag name, polarity unknown
        "lm_getLastKnownLocation",  # E: the branch does not decide
        "clipboard_read",  # F: no check at all
    ],
)
def test_calls_not_decided_by_a_consent_check_are_unguarded(findings, target: str) -> None:
    assert findings[target].guard is None


def test_runnable_started_at_startup_is_followed_through_an_async_edge(findings) -> None:
    f = findings["clipboard_read"]
    assert f.chain == (
        f"{G}App;->onCreate()V",
        f"{G}ClipboardTask;->run()V",
        "Landroid/content/ClipboardManager;->getPrimaryClip()Landroid/content/ClipData;",
    )
    assert f.via == ("async", "invoke")
    assert f.entry_point.kind == "application_oncreate"


def test_sdk_initialised_only_from_a_ui_callback_is_initialised_later() -> None:
    bundle = scan_apk(APK).bundle
    (bugly,) = bundle.sdks
    assert (bugly.sdk_id, bugly.usage) == ("tencent_bugly", "initialised_later")
    assert bugly.usage_evidence == (
        "Lcom/tencent/bugly/crashreport/CrashReport;->initCrashReport(Landroid/content/Context;Ljava/lang/String;Z)V"
        f" called from {G}AgreeButtonListener;->onClick(Landroid/view/View;)V",
    )
