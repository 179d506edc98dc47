"""Static scan of the `plain-libs` fixture: ordinary libraries only, so no tracker-type SDK.

The expectations come from fixtures/apps/plain-libs/EXPECTED.md. A detected SDK whose categories go
beyond ordinary-library ones (development, media, other), or any SDK match on the app's own code, is a
false positive of the SDK database.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from appaudit.evidence.model import EntryPoint, EvidenceBundle, MethodRef, Status
from appaudit.pipeline import scan_apk
from appaudit.static.dex.reader import DexImage

APK = Path(__file__).resolve().parent.parent / "fixtures" / "apps" / "plain-libs" / "plain-libs.apk"
PKG = "com.appaudit.fixture.plainlibs"
P = "Lcom/appaudit/fixture/plainlibs/"
CREATE = "(Landroid/content/Context;)Ljava/lang/Object;"

ORDINARY_CATEGORIES = frozenset({"development", "media", "other"})
FIRST_PARTY = (P, "La/", "Lb/")

# group → (class prefixes, classes in classes.dex, classes in classes2.dex); see EXPECTED.md
CLASSES_BY_GROUP: dict[str, tuple[tuple[str, ...], int, int]] = {
    "first-party": ((P,), 18, 1),
    "first-party, obfuscated": (("La/", "Lb/"), 2, 2),
    "AndroidX AppCompat, Core, Lifecycle, Startup": (
        ("Landroidx/appcompat/", "Landroidx/core/", "Landroidx/lifecycle/", "Landroidx/startup/"),
        15,
        0,
    ),
    "AndroidX Room": (("Landroidx/room/",), 0, 3),
    "Kotlin stdlib": (("Lkotlin/",), 10, 0),
    "kotlinx.coroutines": (("Lkotlinx/coroutines/",), 3, 0),
    "OkHttp": (("Lokhttp3/",), 0, 8),
    "Okio": (("Lokio/",), 0, 2),
    "Retrofit": (("Lretrofit2/",), 0, 6),
    "Glide": (("Lcom/bumptech/glide/",), 0, 3),
    "Gson": (("Lcom/google/gson/",), 0, 2),
    "Guava": (("Lcom/google/common/",), 0, 4),
    "Jackson": (("Lcom/fasterxml/jackson/",), 0, 2),
    "RxJava": (("Lio/reactivex/rxjava3/",), 0, 5),
    "EventBus": (("Lorg/greenrobot/eventbus/",), 0, 2),
    "Timber": (("Ltimber/log/",), 0, 3),
    "Protobuf-lite": (("Lcom/google/protobuf/",), 0, 4),
    "ZXing": (("Lcom/google/zxing/",), 0, 3),
}


@pytest.fixture(scope="module")
def bundle() -> EvidenceBundle:
    result = scan_apk(APK)
    assert result.internal_errors == []
    return result.bundle


def test_every_part_ran_cleanly(bundle) -> None:
    assert [(p.name, p.status) for p in bundle.parts if p.status is not Status.OK] == []
    assert bundle.archive_anomalies == ()


def test_identity_and_manifest(bundle) -> None:
    app, manifest = bundle.app, bundle.manifest
    assert app is not None and manifest is not None
    assert (app.package, app.label, app.version_name, app.version_code) == (PKG, "普通库示例", "1.2.0", "12")
    assert (app.min_sdk, app.target_sdk, app.native_abis) == (21, 30, ())
    assert [(d.name, d.class_count) for d in app.dex_files] == [("classes.dex", 48), ("classes2.dex", 50)]
    assert [p.name for p in manifest.permissions] == ["android.permission.INTERNET"]
    assert manifest.application_class == f"{PKG}.PlainApp"
    assert manifest.launcher_activities == (f"{PKG}.MainActivity",)
    assert {(c.kind, c.name, c.exported) for c in manifest.components} == {
        ("activity", f"{PKG}.MainActivity", True),
        ("provider", "androidx.startup.InitializationProvider", False),
    }
    provider = "androidx.startup.InitializationProvider"
    assert [(m.name, m.value, m.scope) for m in manifest.meta_data] == [
        ("androidx.lifecycle.ProcessLifecycleInitializer", "androidx.startup", provider),
        (f"{PKG}.startup.LoggingInitializer", "androidx.startup", provider),
    ]


def test_exact_classes_per_library_and_dex() -> None:
    with zipfile.ZipFile(APK) as z:
        dexes = [DexImage(name, z.read(name)) for name in ("classes.dex", "classes2.dex")]
    counts = {group: [0, 0] for group in CLASSES_BY_GROUP}
    for i, dex in enumerate(dexes):
        for desc in dex.class_descriptors():
            groups = [g for g, (prefixes, _a, _b) in CLASSES_BY_GROUP.items() if desc.startswith(prefixes)]
            assert len(groups) == 1, (desc, groups)
            counts[groups[0]][i] += 1
    assert {g: tuple(c) for g, c in counts.items()} == {g: (a, b) for g, (_p, a, b) in CLASSES_BY_GROUP.items()}
    assert sum(a + b for _p, a, b in CLASSES_BY_GROUP.values()) == 98


def test_no_tracker_type_sdk_and_no_sdk_match_on_app_code(bundle) -> None:
    for sdk in bundle.sdks:
        assert set(sdk.categories) <= ORDINARY_CATEGORIES, (sdk.sdk_id, sdk.categories, sdk.matches)
        for m in sdk.matches:
            assert not any(ex.startswith(FIRST_PARTY) for ex in m.examples), (sdk.sdk_id, m)
    assert all(e.sdk_id is None and e.party != "sdk" for e in bundle.endpoints)


def test_androidx_startup_initializers_are_entry_points(bundle) -> None:
    startup = bundle.startup
    assert startup is not None

    def ep(kind: str, cls: str, name: str, desc: str, component: str) -> EntryPoint:
        return EntryPoint(kind=kind, method=MethodRef(cls, name, desc), component=component)

    provider = "androidx.startup.InitializationProvider"
    assert set(startup.entry_points) == {
        ep("static_initializer", f"{P}PlainApp;", "<clinit>", "()V", f"{PKG}.PlainApp"),
        ep("application_init", f"{P}PlainApp;", "<init>", "()V", f"{PKG}.PlainApp"),
        ep("application_oncreate", f"{P}PlainApp;", "onCreate", "()V", f"{PKG}.PlainApp"),
        ep("provider_init", "Landroidx/startup/InitializationProvider;", "<init>", "()V", provider),
        ep("provider_oncreate", "Landroidx/startup/InitializationProvider;", "onCreate", "()Z", provider),
        ep(
            "androidx_startup_initializer",
            "Landroidx/lifecycle/ProcessLifecycleInitializer;",
            "create",
            CREATE,
            "androidx.lifecycle.ProcessLifecycleInitializer",
        ),
        ep(
            "androidx_startup_initializer",
            f"{P}startup/LoggingInitializer;",
            "create",
            CREATE,
            f"{PKG}.startup.LoggingInitializer",
        ),
        ep("static_initializer", f"{P}MainActivity;", "<clinit>", "()V", f"{PKG}.MainActivity"),
        ep("launcher_oncreate", f"{P}MainActivity;", "onCreate", "(Landroid/os/Bundle;)V", f"{PKG}.MainActivity"),
    }
    assert len(startup.entry_points) == 9


def test_nothing_sensitive_runs_anywhere(bundle) -> None:
    assert bundle.api_calls == ()
    assert bundle.startup.findings == ()
    assert bundle.startup.budget_exhausted is False


def test_only_first_party_looking_endpoints(bundle) -> None:
    assert [(e.host, e.urls, e.sources, e.sdk_id, e.cleartext) for e in bundle.endpoints] == [
        (
            "api.plainlibs.example",
            ("https://api.plainlibs.example/v1/", "https://api.plainlibs.example/v1/config"),
            ("classes.dex",),
            None,
            False,
        ),
        ("cdn.plainlibs.example", ("https://cdn.plainlibs.example/img/banner.png",), ("classes.dex",), None, False),
    ]


def test_no_policy_hints(bundle) -> None:
    hints = bundle.policy_hints
    assert hints is not None
    assert (hints.urls, hints.documents, hints.policy_strings, hints.consent_strings) == ((), (), (), ())
