#!/usr/bin/env python3
"""Generate a large, deterministic multidex APK for benchmarking appaudit.

The APK contains an Application class whose ``onCreate`` reaches a handful of
privacy-sensitive framework APIs through chains of app / SDK classes spread over
several dex files, a ContentProvider with its own start-up chains, a launcher
activity, and a large bulk of realistic filler code (calls, fields, branches,
loops, try/catch, switches) under many packages, some of them real SDK prefixes.
Sensitive calls also sit in filler methods that are NOT reachable from start-up.

Smali is generated in Python and assembled with ``smali`` (the assembler apktool
uses), one dex per process, pipelined with generation; the manifest is compiled
with ``aapt``, the APK is zip-aligned and signed. The facts (expected start-up
chains etc.) are written to a sidecar JSON next to the APK (``<apk>.json``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

GENERATOR_VERSION = 1
HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / ".cache" / "large.apk"
FRAMEWORK_RES = Path("/usr/share/android-framework-res/framework-res.apk")
PACKAGE = "com.bench.app"
MIN_SDK = 21
TARGET_SDK = 30
DEX_REF_LIMIT = 65536
ZIP_DATE = (2020, 1, 1, 0, 0, 0)

OBJ = "Ljava/lang/Object;"
STR = "Ljava/lang/String;"
CTX = "Landroid/content/Context;"
LOC = "Landroid/location/Location;"

# --------------------------------------------------------------------------
# Sensitive framework APIs: id -> (descriptor, smali snippet using {ctx}).
# Snippets may clobber v0, v2, v3, v4; String results land in v2, objects in v4.
# --------------------------------------------------------------------------
_GSS = "Landroid/content/Context;->getSystemService(Ljava/lang/String;)Ljava/lang/Object;"
API_SNIPPETS: dict[str, tuple[str, list[str]]] = {
    "imei": (
        "Landroid/telephony/TelephonyManager;->getDeviceId()Ljava/lang/String;",
        [
            'const-string v3, "phone"',
            f"invoke-virtual {{{{ctx}}, v3}}, {_GSS}",
            "move-result-object v4",
            "check-cast v4, Landroid/telephony/TelephonyManager;",
            "invoke-virtual {v4}, Landroid/telephony/TelephonyManager;->getDeviceId()Ljava/lang/String;",
            "move-result-object v2",
        ],
    ),
    "imsi": (
        "Landroid/telephony/TelephonyManager;->getSubscriberId()Ljava/lang/String;",
        [
            'const-string v3, "phone"',
            f"invoke-virtual {{{{ctx}}, v3}}, {_GSS}",
            "move-result-object v4",
            "check-cast v4, Landroid/telephony/TelephonyManager;",
            "invoke-virtual {v4}, Landroid/telephony/TelephonyManager;->getSubscriberId()Ljava/lang/String;",
            "move-result-object v2",
        ],
    ),
    "android_id": (
        "Landroid/provider/Settings$Secure;->getString(Landroid/content/ContentResolver;"
        "Ljava/lang/String;)Ljava/lang/String;",
        [
            "invoke-virtual {{ctx}}, Landroid/content/Context;->getContentResolver()Landroid/content/ContentResolver;",
            "move-result-object v4",
            'const-string v3, "android_id"',
            "invoke-static {v4, v3}, Landroid/provider/Settings$Secure;->getString("
            "Landroid/content/ContentResolver;Ljava/lang/String;)Ljava/lang/String;",
            "move-result-object v2",
        ],
    ),
    "location": (
        "Landroid/location/LocationManager;->getLastKnownLocation(Ljava/lang/String;)Landroid/location/Location;",
        [
            'const-string v3, "location"',
            f"invoke-virtual {{{{ctx}}, v3}}, {_GSS}",
            "move-result-object v4",
            "check-cast v4, Landroid/location/LocationManager;",
            'const-string v3, "gps"',
            "invoke-virtual {v4, v3}, Landroid/location/LocationManager;->"
            "getLastKnownLocation(Ljava/lang/String;)Landroid/location/Location;",
            "move-result-object v4",
        ],
    ),
    "installed_packages": (
        "Landroid/content/pm/PackageManager;->getInstalledPackages(I)Ljava/util/List;",
        [
            "invoke-virtual {{ctx}}, Landroid/content/Context;->getPackageManager()Landroid/content/pm/PackageManager;",
            "move-result-object v4",
            "const/4 v0, 0x0",
            "invoke-virtual {v4, v0}, Landroid/content/pm/PackageManager;->getInstalledPackages(I)Ljava/util/List;",
            "move-result-object v4",
        ],
    ),
    "mac": (
        "Landroid/net/wifi/WifiInfo;->getMacAddress()Ljava/lang/String;",
        [
            'const-string v3, "wifi"',
            f"invoke-virtual {{{{ctx}}, v3}}, {_GSS}",
            "move-result-object v4",
            "check-cast v4, Landroid/net/wifi/WifiManager;",
            "invoke-virtual {v4}, Landroid/net/wifi/WifiManager;->getConnectionInfo()Landroid/net/wifi/WifiInfo;",
            "move-result-object v4",
            "invoke-virtual {v4}, Landroid/net/wifi/WifiInfo;->getMacAddress()Ljava/lang/String;",
            "move-result-object v2",
        ],
    ),
    "serial": (
        "Landroid/os/Build;->getSerial()Ljava/lang/String;",
        [
            "invoke-static {}, Landroid/os/Build;->getSerial()Ljava/lang/String;",
            "move-result-object v2",
        ],
    ),
}

APP_CLS = "Lcom/bench/app/BenchApp;"
PROVIDER_CLS = "Lcom/bench/app/BenchProvider;"
ACTIVITY_CLS = "Lcom/bench/app/MainActivity;"
APP_ONCREATE = f"{APP_CLS}->onCreate()V"
PROVIDER_ONCREATE = f"{PROVIDER_CLS}->onCreate()Z"

# Start-up chains: (id, entry, [(class, name, proto, call-style)...], api id).
# call-style is how the previous link invokes this hop: static, static_range,
# virtual (new-instance + invoke-virtual) or direct (private, same class).
ChainHop = tuple[str, str, str, str]
CHAINS: list[tuple[str, str, list[ChainHop], str]] = [
    (
        "umeng_imei",
        APP_ONCREATE,
        [
            ("Lcom/umeng/commonsdk/UMConfigure;", "init", f"({CTX}{STR}{STR}I{STR})V", "static_range"),
            (
                "Lcom/umeng/commonsdk/internal/UMInternalManagerAgent;",
                "sendInternalEvent",
                f"({CTX})V",
                "virtual",
            ),
            ("Lcom/umeng/commonsdk/internal/UMInternalManagerAgent;", "collectIds", f"({CTX})V", "direct"),
            ("Lcom/umeng/commonsdk/statistics/common/DeviceConfig;", "getImei", f"({CTX}){STR}", "static"),
        ],
        "imei",
    ),
    (
        "jpush_location",
        APP_ONCREATE,
        [
            ("Lcn/jpush/android/api/JPushInterface;", "init", f"({CTX})V", "static"),
            ("Lcn/jpush/android/service/ServiceInterface;", "a", f"({CTX})V", "static"),
            ("Lcn/jpush/android/d/e;", "b", f"({CTX})V", "virtual"),
            ("Lcn/jpush/android/d/e;", "c", f"({CTX}){LOC}", "direct"),
        ],
        "location",
    ),
    (
        "bugly_android_id",
        APP_ONCREATE,
        [
            (
                "Lcom/tencent/bugly/crashreport/CrashReport;",
                "initCrashReport",
                f"({CTX}{STR}Z)V",
                "static_range",
            ),
            ("Lcom/tencent/bugly/b;", "a", f"({CTX})V", "static"),
            ("Lcom/tencent/bugly/crashreport/common/info/a;", "b", f"({CTX})V", "virtual"),
            ("Lcom/tencent/bugly/crashreport/common/info/b;", "e", f"({CTX}){STR}", "static"),
        ],
        "android_id",
    ),
    (
        "app_installed_packages",
        APP_ONCREATE,
        [
            ("Lcom/bench/app/core/AppInitializer;", "start", f"({CTX})V", "static"),
            ("Lcom/bench/app/core/ModuleLoader;", "loadAll", f"({CTX})V", "virtual"),
            ("Lcom/bench/app/core/ModuleLoader;", "loadModule", f"({CTX})V", "direct"),
            ("Lcom/bench/app/compat/AppListCompat;", "query", f"({CTX})V", "virtual"),
            ("Lcom/bench/app/security/RiskChecker;", "scanInstalledApps", f"({CTX}){STR}", "static"),
        ],
        "installed_packages",
    ),
    (
        "provider_mac",
        PROVIDER_ONCREATE,
        [
            ("Lcom/bench/app/provider/ProviderInit;", "init", f"({CTX})V", "static"),
            ("Lcom/bench/app/net/DeviceFingerprint;", "collect", f"({CTX}){STR}", "virtual"),
            ("Lcom/bench/app/net/DeviceFingerprint;", "readMac", f"({CTX}){STR}", "direct"),
        ],
        "mac",
    ),
    (
        "provider_umeng_android_id",
        PROVIDER_ONCREATE,
        [
            ("Lcom/bench/app/provider/ProviderInit;", "init", f"({CTX})V", "static"),
            ("Lcom/umeng/analytics/pro/at;", "a", f"({CTX}){STR}", "static"),
            ("Lcom/umeng/analytics/pro/at;", "b", f"({CTX}){STR}", "static"),
        ],
        "android_id",
    ),
]

# Unreachable sensitive calls: (caller chain with no callers, api id).
ORPHANS: list[tuple[list[tuple[str, str]], str]] = [
    ([("Lcom/umeng/analytics/pro/bk;", "collectDeviceInfo")], "imei"),
    ([("Lcn/jpush/android/helper/DeviceHelper;", "getSubscriber")], "imsi"),
    ([("Lcom/tencent/bugly/proguard/z;", "readSerial")], "serial"),
    (
        [
            ("Lcom/bench/app/debug/DebugPanel;", "dumpDevice"),
            ("Lcom/bench/app/debug/DeviceDumper;", "location"),
        ],
        "location",
    ),
    ([("Lcom/bench/app/legacy/OldAppScanner;", "scan")], "installed_packages"),
    ([("Lcom/tencent/mm/opensdk/utils/c;", "f"), ("Lcom/tencent/mm/opensdk/utils/d;", "g")], "android_id"),
    ([("Lcom/umeng/commonsdk/statistics/idtracking/l;", "mac")], "mac"),
]

SDK_PACKAGES_OBF = [
    "com/umeng/analytics/pro",
    "com/umeng/commonsdk/statistics/idtracking",
    "cn/jpush/android/d",
    "cn/jpush/android/helper",
    "com/tencent/bugly/proguard",
    "com/tencent/mm/opensdk/utils",
    "com/baidu/location/b",
    "com/amap/api/col/s",
    "com/bytedance/sdk/openadsdk/core",
    "com/qq/e/comm/plugin",
    "com/igexin/push/core",
    "com/xiaomi/push/service",
    "com/alipay/sdk/m",
    "com/huawei/hms/push/a",
]
SDK_PACKAGES_NAMED = [
    "com/umeng/analytics",
    "com/umeng/commonsdk",
    "cn/jpush/android/api",
    "cn/jpush/android/service",
    "com/tencent/bugly/crashreport",
    "com/tencent/mm/opensdk/openapi",
    "com/alibaba/fastjson/parser",
    "com/google/gson/internal",
    "okhttp3/internal/http",
    "com/sina/weibo/sdk/auth",
    "com/squareup/picasso",
    "io/reactivex/internal/operators",
]
WORDS = [
    "Data",
    "Config",
    "Net",
    "Http",
    "Cache",
    "Image",
    "User",
    "Session",
    "Log",
    "Event",
    "Push",
    "Crash",
    "Report",
    "Stat",
    "Device",
    "Json",
    "Task",
    "Thread",
    "Sync",
    "Db",
    "File",
    "Media",
    "Ad",
    "Pay",
    "Share",
    "Login",
    "Upload",
    "Download",
    "Track",
    "Page",
    "Feed",
    "Video",
    "Audio",
    "Map",
    "Geo",
    "Msg",
    "Chat",
    "Cart",
    "Order",
    "Coupon",
    "Search",
    "Filter",
    "Theme",
    "Font",
    "Font",
]
SUFFIXES = [
    "Manager",
    "Helper",
    "Util",
    "Handler",
    "Service",
    "Client",
    "Provider",
    "Factory",
    "Builder",
    "Impl",
    "Processor",
    "Adapter",
    "Worker",
    "Store",
    "Parser",
    "Wrapper",
    "Dispatcher",
    "Controller",
    "Repository",
    "Presenter",
]
VERBS = [
    "load",
    "save",
    "parse",
    "build",
    "update",
    "query",
    "handle",
    "process",
    "check",
    "sync",
    "apply",
    "reset",
    "fetch",
    "notify",
    "dispatch",
    "resolve",
    "convert",
    "merge",
    "prepare",
    "release",
    "compute",
    "render",
    "encode",
    "decode",
    "flush",
    "attach",
    "detach",
    "schedule",
]
OBF = [chr(c) for c in range(ord("a"), ord("z") + 1)] + [
    f"{chr(a)}{chr(b)}" for a in range(ord("a"), ord("e") + 1) for b in range(ord("a"), ord("z") + 1)
]
HOSTS = [
    "api.bench.com",
    "log.umeng.com",
    "tsis.jpush.cn",
    "rqd.uu.qq.com",
    "cdn.bench-static.net",
    "ads.bench.io",
    "pay.bench.com",
]

# Filler method kinds -> (proto, static?).
KINDS: dict[str, tuple[str, bool]] = {
    "s": ("(II)I", True),
    "r": (f"(IIII{STR}{STR})I", True),
    "v": (f"(I{STR}){STR}", False),
    "p": ("(I)V", False),
    "g": ("()I", False),
    "t": ("(I)V", False),
    "n": ("()V", False),  # Runnable.run
}
KIND_WEIGHTS = [("s", 26), ("v", 26), ("r", 8), ("p", 12), ("g", 14), ("t", 14)]


@dataclass
class Meth:
    """A filler method."""

    cls: str
    name: str
    kind: str

    @property
    def proto(self) -> str:
        """Method prototype."""
        return KINDS[self.kind][0]

    @property
    def ref(self) -> str:
        """Full smali method reference."""
        return f"{self.cls}->{self.name}{self.proto}"


@dataclass
class Hop:
    """A hand-placed method on a start-up chain or an orphan chain."""

    cls: str
    name: str
    proto: str
    style: str  # static | static_range | virtual | direct | entry
    callees: list[str] = field(default_factory=list)  # hop refs or "api:<id>"

    @property
    def ref(self) -> str:
        """Full smali method reference."""
        return f"{self.cls}->{self.name}{self.proto}"

    @property
    def is_static(self) -> bool:
        """Whether the method is static."""
        return self.style in ("static", "static_range")


@dataclass
class Cls:
    """A generated class."""

    desc: str
    dex: int
    obf: bool
    sup: str = OBJ
    runnable: bool = False
    methods: list[Meth] = field(default_factory=list)
    hops: list[Hop] = field(default_factory=list)
    component: str = ""  # application | activity | provider

    @property
    def fields(self) -> tuple[str, str, str, str, str]:
        """Names of (int, int, String, static int, static String) fields."""
        if self.obf:
            return ("a", "b", "c", "d", "e")
        return ("mCount", "mState", "mName", "sCounter", "TAG")


def params_hash(params: dict[str, object]) -> str:
    """Stable hash of the generation parameters."""
    blob = json.dumps(params, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def sha256_file(path: Path) -> str:
    """SHA-256 of a file."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class StringSource:
    """Deterministic supply of const-string literals (shared pool + uniques)."""

    def __init__(self, rng: random.Random, shared: int, unique_cap: int) -> None:
        self.rng = rng
        self.unique_cap = unique_cap
        self.unique_used = 0
        self.counter = 0
        self.shared = [self._make(i) for i in range(shared)]

    def _make(self, i: int) -> str:
        r = self.rng
        form = i % 5
        w1, w2 = r.choice(WORDS).lower(), r.choice(VERBS)
        if form == 0:
            return f"https://{r.choice(HOSTS)}/v{r.randint(1, 4)}/{w1}/{w2}"
        if form == 1:
            return f"key_{w1}_{w2}_{i}"
        if form == 2:
            return f"{w2} {w1} failed: code={i}"
        if form == 3:
            return f"{r.choice(WORDS)}{r.choice(SUFFIXES)}"
        return f"{w1}.{w2}.{i:x}"

    def reset_dex(self) -> None:
        """Start a new dex (resets the unique-string budget)."""
        self.unique_used = 0

    def pick(self) -> str:
        """Return a literal, unique with some probability while budget lasts."""
        if self.unique_used < self.unique_cap and self.rng.random() < 0.3:
            self.unique_used += 1
            self.counter += 1
            return f"{self.rng.choice(VERBS)}.{self.rng.choice(WORDS).lower()}.{self.counter:x}"
        return self.rng.choice(self.shared)


class Ctx:
    """State while emitting one method body."""

    def __init__(self, cls: Cls, static: bool) -> None:
        self.cls = cls
        self.static = static
        self.lines: list[str] = []
        self.tail: list[str] = []
        self.labels = 0
        self.ret: list[str] = []

    def add(self, *lines: str) -> None:
        """Append instructions."""
        self.lines.extend(lines)

    def label(self) -> int:
        """New label number."""
        self.labels += 1
        return self.labels


class DexPlan:
    """Classes and call targets of one dex."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.classes: list[Cls] = []
        self.by_kind: dict[str, list[Meth]] = {k: [] for k in KINDS}
        self.runnables: list[Cls] = []


class Generator:
    """Plans and emits the smali of the whole app."""

    def __init__(self, params: dict[str, int]) -> None:
        self.p = params
        self.rng = random.Random(params["seed"])
        self.strings = StringSource(self.rng, 6000, params["unique_strings_per_dex"])
        self.dexes = [DexPlan(i) for i in range(params["dex_count"])]
        self.classes: dict[str, Cls] = {}
        self.hops: dict[str, Hop] = {}
        self.chains: list[dict[str, object]] = []
        self.orphans: list[dict[str, object]] = []
        self.xdex_statics: list[Meth] = []
        self._names: dict[str, set[str]] = {}
        self._obf_next: dict[str, int] = {}
        self.cur: DexPlan = self.dexes[0]
        self._build_tables()

    # ---------------------------------------------------------------- planning
    def plan(self) -> None:
        """Decide every class, method and chain."""
        reserved = {h[0] for _, _, hops, _ in CHAINS for h in hops}
        reserved |= {c for chain, _ in ORPHANS for c, _ in chain}
        reserved |= {APP_CLS, PROVIDER_CLS, ACTIVITY_CLS}
        for desc in reserved:
            pkg, simple = desc[1:-1].rsplit("/", 1)
            self._names.setdefault(pkg, set()).add(simple)
        packages = (
            [(p, True, 4) for p in SDK_PACKAGES_OBF]
            + [(p, False, 3) for p in SDK_PACKAGES_NAMED]
            + [(f"com/bench/app/{w.lower()}", False, 2) for w in WORDS[:24]]
            + [(f"com/bench/lib{i}/{w.lower()}", i % 3 == 0, 1) for i in range(40) for w in WORDS[i % 7 : i % 7 + 3]]
        )
        pkg_weights = [w for _, _, w in packages]
        for dex in self.dexes:
            for _ in range(self.p["classes_per_dex"]):
                pkg, obf, _ = self.rng.choices(packages, pkg_weights)[0]
                desc = f"L{pkg}/{self._class_name(pkg, obf)};"
                cls = Cls(desc, dex.index, obf)
                self._add_filler_methods(cls, dex)
                if dex.classes and self.rng.random() < 0.1:
                    cls.sup = self.rng.choice(dex.classes[-50:]).desc
                dex.classes.append(cls)
                self.classes[desc] = cls
        for dex in self.dexes:
            for cls in dex.classes:
                if cls.runnable:
                    dex.runnables.append(cls)
                for m in cls.methods:
                    dex.by_kind[m.kind].append(m)
        for dex in self.dexes:
            self.xdex_statics.extend(self.rng.sample(dex.by_kind["s"], 400))
        self._plan_components()
        self._plan_chains()
        self._plan_orphans()

    def _class_name(self, pkg: str, obf: bool) -> str:
        taken = self._names.setdefault(pkg, set())
        while True:
            if obf:
                n = self._obf_next.get(pkg, 0)
                self._obf_next[pkg] = n + 1
                name = OBF[n % len(OBF)] + ("" if n < len(OBF) else str(n // len(OBF)))
            else:
                name = self.rng.choice(WORDS) + self.rng.choice(SUFFIXES)
                if name in taken:
                    name += str(len(taken))
            if name not in taken:
                taken.add(name)
                return name

    def _add_filler_methods(self, cls: Cls, dex: DexPlan) -> None:
        n = self.rng.randint(self.p["min_methods"], self.p["max_methods"])
        kinds, weights = zip(*KIND_WEIGHTS, strict=True)
        names = OBF if cls.obf else [f"{v}{w}" for v in VERBS for w in ("", "Data")]
        picked = self.rng.sample(range(min(len(names), 50)), n)
        for j in picked:
            cls.methods.append(Meth(cls.desc, names[j], self.rng.choices(kinds, weights)[0]))
        if self.rng.random() < 0.08:
            cls.runnable = True
            cls.methods.append(Meth(cls.desc, "run", "n"))

    def _get_cls(self, desc: str, dex: int) -> Cls:
        cls = self.classes.get(desc)
        if cls is None:
            cls = Cls(desc, dex, obf=len(desc.rsplit("/", 1)[1]) <= 3)
            self._add_filler_methods(cls, self.dexes[dex])
            self.dexes[dex].classes.append(cls)
            self.classes[desc] = cls
            # filler methods of hop classes are callable by filler code
            for m in cls.methods:
                self.dexes[dex].by_kind[m.kind].append(m)
        return cls

    def _hop(self, desc: str, name: str, proto: str, style: str, dex: int) -> Hop:
        ref = f"{desc}->{name}{proto}"
        if ref in self.hops:
            return self.hops[ref]
        cls = self._get_cls(desc, dex)
        hop = Hop(desc, name, proto, style)
        cls.hops.append(hop)
        self.hops[ref] = hop
        return hop

    def _plan_components(self) -> None:
        app = Cls(APP_CLS, 0, False, sup="Landroid/app/Application;", component="application")
        prov = Cls(PROVIDER_CLS, 0, False, sup="Landroid/content/ContentProvider;", component="provider")
        act = Cls(ACTIVITY_CLS, 0, False, sup="Landroid/app/Activity;", component="activity")
        app.hops.append(Hop(APP_CLS, "onCreate", "()V", "entry"))
        app.hops.append(Hop(APP_CLS, "attachBaseContext", f"({CTX})V", "entry"))
        prov.hops.append(Hop(PROVIDER_CLS, "onCreate", "()Z", "entry"))
        act.hops.append(Hop(ACTIVITY_CLS, "onCreate", "(Landroid/os/Bundle;)V", "entry"))
        for c in (app, prov, act):
            self.dexes[0].classes.append(c)
            self.classes[c.desc] = c
            for h in c.hops:
                self.hops[h.ref] = h

    def _plan_chains(self) -> None:
        n = len(self.dexes)
        for ci, (cid, entry, hops, api) in enumerate(CHAINS):
            prev = self.hops[entry]
            refs = [entry]
            dex_of = [0]
            for k, (desc, name, proto, style) in enumerate(hops):
                existing = self.classes.get(desc)
                dex = existing.dex if existing else (ci * 3 + k * 2 + 1) % n
                hop = self._hop(desc, name, proto, style, dex)
                if hop.ref not in prev.callees:
                    prev.callees.append(hop.ref)
                refs.append(hop.ref)
                dex_of.append(self.classes[desc].dex)
                prev = hop
            prev.callees.append(f"api:{api}")
            api_ref = API_SNIPPETS[api][0]
            self.chains.append(
                {
                    "id": cid,
                    "entry": entry,
                    "api": api_ref,
                    "chain": [*refs, api_ref],
                    "dex_index": dex_of,
                }
            )

    def _plan_orphans(self) -> None:
        n = len(self.dexes)
        for oi, (chain, api) in enumerate(ORPHANS):
            prev: Hop | None = None
            refs: list[str] = []
            for k, (desc, name) in enumerate(chain):
                existing = self.classes.get(desc)
                dex = existing.dex if existing else (oi * 5 + k * 3 + 2) % n
                hop = self._hop(desc, name, f"({CTX}){STR}", "static", dex)
                if prev is not None:
                    prev.callees.append(hop.ref)
                refs.append(hop.ref)
                prev = hop
            assert prev is not None
            prev.callees.append(f"api:{api}")
            api_ref = API_SNIPPETS[api][0]
            self.orphans.append({"api": api_ref, "chain": [*refs, api_ref], "caller": refs[-1]})

    # ---------------------------------------------------------------- emission
    def _build_tables(self) -> None:
        top: list[tuple[Callable[[Ctx, int], None], int]] = [
            (self.s_const, 10),
            (self.s_arith, 12),
            (self.s_field_own, 10),
            (self.s_field_other, 4),
            (self.s_call_s, 10),
            (self.s_call_r, 3),
            (self.s_call_v, 7),
            (self.s_call_vr, 2),
            (self.s_call_gt, 6),
            (self.s_call_p, 4),
            (self.s_call_run, 1),
            (self.s_fw, 14),
            (self.s_xdex, 1),
        ]
        nested = [
            (self.s_if, 6),
            (self.s_loop, 2),
            (self.s_try, 2),
            (self.s_switch, 1),
        ]
        self.inner_fns = [f for f, _ in top]
        self.inner_w = [w for _, w in top]
        self.top_fns = self.inner_fns + [f for f, _ in nested]
        self.top_w = self.inner_w + [w for _, w in nested]

    def _stmts(self, c: Ctx, n: int, depth: int = 0) -> None:
        fns, ws = (self.top_fns, self.top_w) if depth == 0 else (self.inner_fns, self.inner_w)
        for f in self.rng.choices(fns, ws, k=n):
            f(c, depth)

    def s_const(self, c: Ctx, depth: int) -> None:
        """const-string."""
        reg = "v2" if self.rng.random() < 0.5 else "v3"
        c.add(f'const-string {reg}, "{self.strings.pick()}"')

    def s_arith(self, c: Ctx, depth: int) -> None:
        """Integer arithmetic."""
        r = self.rng
        k = r.randint(1, 100)
        op = r.randrange(6)
        if op == 0:
            c.add(f"add-int/lit8 v0, v0, 0x{k:x}")
        elif op == 1:
            c.add(f"mul-int/lit8 v1, v0, 0x{k:x}")
        elif op == 2:
            c.add("xor-int/2addr v0, v1")
        elif op == 3:
            c.add(f"rem-int/lit8 v1, v1, 0x{k:x}")
        elif op == 4:
            c.add(f"const/16 v1, 0x{r.randint(0, 30000):x}")
        else:
            c.add("add-int v0, v0, v1", "shl-int/lit8 v1, v1, 0x2")

    def s_field_own(self, c: Ctx, depth: int) -> None:
        """Get/put on the class's own fields."""
        fi, fj, fs, sfi, sfs = c.cls.fields
        d = c.cls.desc
        r = self.rng.randrange(3)
        if c.static:
            if r == 0:
                c.add(f"sget v1, {d}->{sfi}:I", "add-int/2addr v1, v0", f"sput v1, {d}->{sfi}:I")
            elif r == 1:
                c.add(f"sget-object v3, {d}->{sfs}:{STR}")
            else:
                c.add(f"sput-object v2, {d}->{sfs}:{STR}")
        elif r == 0:
            f = fi if self.rng.random() < 0.5 else fj
            c.add(f"iget v1, p0, {d}->{f}:I", "add-int/lit8 v1, v1, 0x1", f"iput v1, p0, {d}->{f}:I")
        elif r == 1:
            c.add(f"iget-object v3, p0, {d}->{fs}:{STR}")
        else:
            c.add(f"iput-object v2, p0, {d}->{fs}:{STR}")

    def s_field_other(self, c: Ctx, depth: int) -> None:
        """Static field access on another class of the same dex."""
        t = self.rng.choice(self.cur.classes)
        if t.component:
            self.s_arith(c, depth)
            return
        _, _, _, sfi, sfs = t.fields
        if self.rng.random() < 0.6:
            c.add(f"sget v1, {t.desc}->{sfi}:I")
        else:
            c.add(f"sput-object v2, {t.desc}->{sfs}:{STR}")

    def s_call_s(self, c: Ctx, depth: int) -> None:
        """invoke-static (II)I."""
        m = self.rng.choice(self.cur.by_kind["s"])
        c.add(f"invoke-static {{v0, v1}}, {m.ref}", "move-result v0")

    def s_xdex(self, c: Ctx, depth: int) -> None:
        """invoke-static into another dex."""
        m = self.rng.choice(self.xdex_statics)
        c.add(f"invoke-static {{v0, v1}}, {m.ref}", "move-result v0")

    def s_call_r(self, c: Ctx, depth: int) -> None:
        """invoke-static/range with six arguments."""
        m = self.rng.choice(self.cur.by_kind["r"])
        r = self.rng
        c.add(
            f"const/4 v6, 0x{r.randint(0, 7):x}",
            "move v7, v0",
            "move v8, v1",
            f"const/16 v9, 0x{r.randint(8, 999):x}",
            "move-object v10, v2",
            "move-object v11, v3",
            f"invoke-static/range {{v6 .. v11}}, {m.ref}",
            "move-result v1",
        )

    def s_call_v(self, c: Ctx, depth: int) -> None:
        """new-instance + invoke-virtual."""
        m = self.rng.choice(self.cur.by_kind["v"])
        c.add(
            f"new-instance v4, {m.cls}",
            f"invoke-direct {{v4}}, {m.cls}-><init>()V",
            f"invoke-virtual {{v4, v0, v2}}, {m.ref}",
            "move-result-object v2",
        )

    def s_call_vr(self, c: Ctx, depth: int) -> None:
        """invoke-virtual/range."""
        m = self.rng.choice(self.cur.by_kind["v"])
        c.add(
            f"new-instance v8, {m.cls}",
            f"invoke-direct {{v8}}, {m.cls}-><init>()V",
            "move v9, v0",
            "move-object v10, v2",
            f"invoke-virtual/range {{v8 .. v10}}, {m.ref}",
            "move-result-object v3",
        )

    def s_call_gt(self, c: Ctx, depth: int) -> None:
        """Getter / setter call on a fresh instance."""
        kind = "g" if self.rng.random() < 0.5 else "t"
        m = self.rng.choice(self.cur.by_kind[kind])
        c.add(f"new-instance v4, {m.cls}", f"invoke-direct {{v4}}, {m.cls}-><init>()V")
        if kind == "g":
            c.add(f"invoke-virtual {{v4}}, {m.ref}", "move-result v1")
        else:
            c.add(f"invoke-virtual {{v4, v0}}, {m.ref}")

    def s_call_p(self, c: Ctx, depth: int) -> None:
        """invoke-direct on a private method or invoke-virtual on self."""
        if c.static or c.cls.component:
            self.s_call_s(c, depth)
            return
        own = [m for m in c.cls.methods if m.kind in ("p", "v", "t")]
        if not own:
            self.s_call_s(c, depth)
            return
        m = self.rng.choice(own)
        if m.kind == "p":
            c.add(f"invoke-direct {{p0, v0}}, {m.ref}")
        elif m.kind == "t":
            c.add(f"invoke-virtual {{p0, v1}}, {m.ref}")
        else:
            c.add(f"invoke-virtual {{p0, v0, v3}}, {m.ref}", "move-result-object v3")

    def s_call_run(self, c: Ctx, depth: int) -> None:
        """invoke-interface Runnable.run on a Runnable implementation."""
        if not self.cur.runnables:
            self.s_arith(c, depth)
            return
        t = self.rng.choice(self.cur.runnables)
        c.add(
            f"new-instance v4, {t.desc}",
            f"invoke-direct {{v4}}, {t.desc}-><init>()V",
            "invoke-interface {v4}, Ljava/lang/Runnable;->run()V",
        )

    def s_fw(self, c: Ctx, depth: int) -> None:
        """Harmless framework / JDK calls."""
        sb = "Ljava/lang/StringBuilder;"
        op = self.rng.randrange(11)
        if op == 0:
            c.add(f"invoke-virtual {{v2}}, {STR}->length()I", "move-result v1")
        elif op == 1:
            c.add(f"invoke-static {{v3, v2}}, Landroid/util/Log;->d({STR}{STR})I")
        elif op == 2:
            c.add(
                f"new-instance v4, {sb}",
                f"invoke-direct {{v4}}, {sb}-><init>()V",
                f"invoke-virtual {{v4, v2}}, {sb}->append({STR}){sb}",
                f"invoke-virtual {{v4, v0}}, {sb}->append(I){sb}",
                f"invoke-virtual {{v4}}, {sb}->toString(){STR}",
                "move-result-object v2",
            )
        elif op == 3:
            c.add(
                "invoke-static {v2}, Landroid/text/TextUtils;->isEmpty(Ljava/lang/CharSequence;)Z",
                "move-result v1",
            )
        elif op == 4:
            c.add(f"invoke-virtual {{v2, v3}}, {STR}->equals({OBJ})Z", "move-result v1")
        elif op == 5:
            c.add(f"invoke-static {{v0}}, {STR}->valueOf(I){STR}", "move-result-object v3")
        elif op == 6:
            c.add(
                "invoke-static {}, Ljava/lang/System;->currentTimeMillis()J",
                "move-result-wide v6",
                "long-to-int v0, v6",
            )
        elif op == 7:
            c.add(f"invoke-virtual {{v2}}, {STR}->hashCode()I", "move-result v0")
        elif op == 8:
            c.add(
                "new-instance v4, Ljava/util/HashMap;",
                "invoke-direct {v4}, Ljava/util/HashMap;-><init>()V",
                f"invoke-interface {{v4, v2, v3}}, Ljava/util/Map;->put({OBJ}{OBJ}){OBJ}",
            )
        elif op == 9:
            c.add(
                "new-instance v4, Lorg/json/JSONObject;",
                "invoke-direct {v4}, Lorg/json/JSONObject;-><init>()V",
                f"invoke-virtual {{v4, v2, v0}}, Lorg/json/JSONObject;->put({STR}I)Lorg/json/JSONObject;",
            )
        else:
            c.add(f"invoke-static {{v3, v2}}, Landroid/util/Log;->i({STR}{STR})I", "move-result v1")

    def s_if(self, c: Ctx, depth: int) -> None:
        """Forward conditional branch."""
        n = c.label()
        cond = self.rng.choice(["if-eqz v0", "if-nez v1", "if-ge v0, v1", "if-lez v1"])
        c.add(f"{cond}, :cond_{n}")
        self._stmts(c, self.rng.randint(1, 3), depth + 1)
        c.add(f":cond_{n}")

    def s_loop(self, c: Ctx, depth: int) -> None:
        """Counted loop."""
        n = c.label()
        c.add("const/4 v5, 0x0", f":goto_{n}", f"if-ge v5, v1, :cond_{n}")
        self._stmts(c, self.rng.randint(1, 2), depth + 1)
        c.add("add-int/lit8 v5, v5, 0x1", f"goto :goto_{n}", f":cond_{n}")

    def s_try(self, c: Ctx, depth: int) -> None:
        """try/catch block with a returning handler."""
        n = c.label()
        c.add(f":try_start_{n}")
        self._stmts(c, self.rng.randint(1, 2), depth + 1)
        c.add(f":try_end_{n}", f".catch Ljava/lang/Exception; {{:try_start_{n} .. :try_end_{n}}} :catch_{n}")
        c.tail.extend(
            [
                f":catch_{n}",
                "move-exception v4",
                "invoke-virtual {v4}, Ljava/lang/Throwable;->printStackTrace()V",
                *c.ret,
            ]
        )

    def s_switch(self, c: Ctx, depth: int) -> None:
        """packed-switch with a payload."""
        n = c.label()
        cases = self.rng.randint(2, 4)
        c.add(f"packed-switch v1, :pswitch_data_{n}", f"goto :sw_end_{n}")
        for i in range(cases):
            c.add(f":pswitch_{n}_{i}")
            self._stmts(c, 1, depth + 1)
            c.add(f"goto :sw_end_{n}")
        c.add(f":sw_end_{n}")
        c.tail.extend(
            [
                f":pswitch_data_{n}",
                ".packed-switch 0x0",
                *[f"    :pswitch_{n}_{i}" for i in range(cases)],
                ".end packed-switch",
            ]
        )

    # ------------------------------------------------------------ method text
    def _prologue(self, c: Ctx) -> None:
        r = self.rng
        c.add(
            f"const/4 v0, 0x{r.randint(0, 7):x}",
            f"const/16 v1, 0x{r.randint(8, 500):x}",
            f'const-string v2, "{self.strings.pick()}"',
            f'const-string v3, "{self.strings.pick()}"',
            "const/4 v4, 0x0",
            "const/4 v5, 0x0",
        )

    def _n_stmts(self) -> int:
        lo, hi = self.p["min_stmts"], self.p["max_stmts"]
        return min(int(self.rng.triangular(lo, hi * 1.4, lo + 2)), hi * 2)

    def filler_method(self, cls: Cls, m: Meth) -> list[str]:
        """Smali text of one filler method."""
        d = cls.desc
        fi, _, _, _, _ = cls.fields
        proto = m.proto
        if m.kind == "g":
            return [
                f".method public {m.name}{proto}",
                "    .locals 1",
                f"    iget v0, p0, {d}->{fi}:I",
                "    return v0",
                ".end method",
                "",
            ]
        if m.kind == "t":
            return [
                f".method public {m.name}{proto}",
                "    .locals 0",
                f"    iput p1, p0, {d}->{fi}:I",
                "    return-void",
                ".end method",
                "",
            ]
        static = KINDS[m.kind][1]
        c = Ctx(cls, static)
        if m.kind == "v":
            c.ret = ["return-object v2"]
        elif m.kind in ("s", "r"):
            c.ret = ["return v0"]
        else:
            c.ret = ["return-void"]
        self._prologue(c)
        if m.kind == "s":
            c.add("move v0, p0")
        elif m.kind == "r":
            c.add("move/from16 v0, p2", "move-object/from16 v3, p5")
        elif m.kind == "v":
            c.add("move v0, p1", "move-object v3, p2")
        elif m.kind == "p":
            c.add("move v1, p1")
        self._stmts(c, self._n_stmts())
        c.add(*c.ret)
        flags = "public static" if static else ("private" if m.kind == "p" else "public")
        return [
            f".method {flags} {m.name}{proto}",
            "    .locals 12",
            *("    " + x for x in c.lines),
            *("    " + x for x in c.tail),
            ".end method",
            "",
        ]

    def _call_hop(self, c: Ctx, callee: Hop, ctx_reg: str) -> None:
        ret = callee.proto.rsplit(")", 1)[1]
        if callee.style == "static":
            c.add(f"invoke-static {{{ctx_reg}}}, {callee.ref}")
        elif callee.style == "direct":
            c.add(f"invoke-direct {{p0, {ctx_reg}}}, {callee.ref}")
        elif callee.style == "virtual":
            c.add(
                f"new-instance v4, {callee.cls}",
                f"invoke-direct {{v4}}, {callee.cls}-><init>()V",
                f"invoke-virtual {{v4, {ctx_reg}}}, {callee.ref}",
            )
        elif callee.style == "static_range":
            params = _param_types(callee.proto)
            assert params[0] == CTX and len(params) <= 6
            c.add(f"move-object/from16 v6, {ctx_reg}" if ctx_reg.startswith("p") else f"move-object v6, {ctx_reg}")
            for i, t in enumerate(params[1:], start=7):
                if t == STR:
                    c.add(f'const-string v{i}, "{self.strings.pick()}"')
                else:
                    c.add(f"const/4 v{i}, 0x1")
            c.add(f"invoke-static/range {{v6 .. v{5 + len(params)}}}, {callee.ref}")
        else:
            raise ValueError(callee.style)
        if ret == STR:
            c.add("move-result-object v2")
        elif ret.startswith("L"):
            c.add("move-result-object v4")

    def hop_method(self, cls: Cls, hop: Hop) -> list[str]:
        """Smali text of a chain/orphan/component method."""
        c = Ctx(cls, hop.is_static)
        ret = hop.proto.rsplit(")", 1)[1]
        locals_n = 12
        pre: list[str] = []
        ctx_reg = "p0" if hop.is_static else "p1"
        if hop.style == "entry":
            sup = cls.sup
            if hop.name == "onCreate" and cls.component == "provider":
                locals_n = 13
                ctx_reg = "v12"
                pre = [
                    f"invoke-virtual {{p0}}, Landroid/content/ContentProvider;->getContext(){CTX}",
                    "move-result-object v12",
                ]
            elif hop.name == "onCreate" and cls.component == "activity":
                pre = [f"invoke-super {{p0, p1}}, {sup}->onCreate(Landroid/os/Bundle;)V"]
            elif hop.name == "onCreate":
                ctx_reg = "p0"
                pre = [f"invoke-super {{p0}}, {sup}->onCreate()V"]
            else:
                pre = [f"invoke-super {{p0, p1}}, {sup}->{hop.name}{hop.proto}"]
        if ret == "V":
            c.ret = ["return-void"]
        elif ret == "Z":
            c.ret = ["const/4 v0, 0x1", "return v0"]
        elif ret == STR:
            c.ret = ["return-object v2"]
        else:
            c.ret = ["const/4 v4, 0x0", "return-object v4"]
        c.add(*pre)
        self._prologue(c)
        self._stmts(c, self.rng.randint(2, 6))
        for callee in hop.callees:
            if callee.startswith("api:"):
                snippet = API_SNIPPETS[callee[4:]][1]
                c.add(*(s.replace("{ctx}", ctx_reg) for s in snippet))
                if ret.startswith("L") and ret != STR:
                    c.ret = ["return-object v4"]
                    continue  # keep the API result in v4 until the return
            else:
                self._call_hop(c, self.hops[callee], ctx_reg)
            self._stmts(c, self.rng.randint(1, 4))
        c.add(*c.ret)
        if hop.style == "entry":
            flags = "public"
        elif hop.style == "direct":
            flags = "private"
        else:
            flags = "public static" if hop.is_static else "public"
        return [
            f".method {flags} {hop.name}{hop.proto}",
            f"    .locals {locals_n}",
            *("    " + x for x in c.lines),
            *("    " + x for x in c.tail),
            ".end method",
            "",
        ]

    def class_text(self, cls: Cls) -> str:
        """Smali text of one class."""
        simple = cls.desc[1:-1].rsplit("/", 1)[1]
        out = [
            f".class public {cls.desc}",
            f".super {cls.sup}",
            f'.source "{"SourceFile" if cls.obf else simple + ".java"}"',
            "",
        ]
        if cls.runnable:
            out += [".implements Ljava/lang/Runnable;", ""]
        fi, fj, fs, sfi, sfs = cls.fields
        out += [
            f".field public static {sfi}:I",
            f".field public static {sfs}:{STR}",
            f".field private {fi}:I",
            f".field private {fj}:I",
            f".field private {fs}:{STR}",
            "",
        ]
        out += [
            ".method public constructor <init>()V",
            "    .locals 1",
            f"    invoke-direct {{p0}}, {cls.sup}-><init>()V",
        ]
        if not cls.component:
            out += [
                f'    const-string v0, "{self.strings.pick()}"',
                f"    iput-object v0, p0, {cls.desc}->{fs}:{STR}",
            ]
        out += ["    return-void", ".end method", ""]
        if cls.component == "provider":
            out += _provider_stubs()
        for m in cls.methods:
            if m.kind == "n":
                c_m = Meth(m.cls, m.name, "p")
                lines = self.filler_method(cls, c_m)
                lines[0] = ".method public run()V"
                lines = [ln.replace("move v1, p1", "const/4 v1, 0x3") for ln in lines]
                out += lines
            else:
                out += self.filler_method(cls, m)
        for hop in cls.hops:
            out += self.hop_method(cls, hop)
        return "\n".join(out)

    def emit_dex(self, dex: DexPlan, root: Path) -> int:
        """Write the smali files of one dex; return bytes written."""
        self.cur = dex
        self.strings.reset_dex()
        total = 0
        made: set[Path] = set()
        for cls in dex.classes:
            rel = cls.desc[1:-1] + ".smali"
            path = root / rel
            if path.parent not in made:
                path.parent.mkdir(parents=True, exist_ok=True)
                made.add(path.parent)
            text = self.class_text(cls)
            path.write_text(text)
            total += len(text)
        return total


def _param_types(proto: str) -> list[str]:
    """Split a prototype's parameter list into type descriptors."""
    body = proto[1 : proto.index(")")]
    out: list[str] = []
    i = 0
    while i < len(body):
        j = i
        while body[j] == "[":
            j += 1
        if body[j] == "L":
            j = body.index(";", j)
        out.append(body[i : j + 1])
        i = j + 1
    return out


def _provider_stubs() -> list[str]:
    """Trivial implementations of ContentProvider's abstract methods."""
    uri, cv, sa = "Landroid/net/Uri;", "Landroid/content/ContentValues;", f"[{STR}"
    stubs = [
        (f"query({uri}{sa}{STR}{sa}{STR})Landroid/database/Cursor;", "object"),
        (f"getType({uri}){STR}", "object"),
        (f"insert({uri}{cv}){uri}", "object"),
        (f"delete({uri}{STR}{sa})I", "int"),
        (f"update({uri}{cv}{STR}{sa})I", "int"),
    ]
    out: list[str] = []
    for sig, kind in stubs:
        ret = "return-object v0" if kind == "object" else "return v0"
        out += [
            f".method public {sig}",
            "    .locals 1",
            "    const/4 v0, 0x0",
            f"    {ret}",
            ".end method",
            "",
        ]
    return out


def manifest_xml() -> str:
    """Text AndroidManifest.xml."""
    perms = [
        "READ_PHONE_STATE",
        "ACCESS_FINE_LOCATION",
        "ACCESS_COARSE_LOCATION",
        "ACCESS_WIFI_STATE",
        "INTERNET",
        "QUERY_ALL_PACKAGES",
        "ACCESS_NETWORK_STATE",
    ]
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<manifest xmlns:android="http://schemas.android.com/apk/res/android"',
        f'    package="{PACKAGE}" android:versionCode="1" android:versionName="1.0">',
        f'  <uses-sdk android:minSdkVersion="{MIN_SDK}" android:targetSdkVersion="{TARGET_SDK}"/>',
        *[f'  <uses-permission android:name="android.permission.{p}"/>' for p in perms],
        f'  <application android:name="{_dotted(APP_CLS)}" android:label="Bench" android:allowBackup="true">',
        f'    <activity android:name="{_dotted(ACTIVITY_CLS)}" android:exported="true">',
        "      <intent-filter>",
        '        <action android:name="android.intent.action.MAIN"/>',
        '        <category android:name="android.intent.category.LAUNCHER"/>',
        "      </intent-filter>",
        "    </activity>",
        f'    <provider android:name="{_dotted(PROVIDER_CLS)}"',
        f'        android:authorities="{PACKAGE}.init" android:exported="false"/>',
        "  </application>",
        "</manifest>",
        "",
    ]
    return "\n".join(lines)


def _dotted(desc: str) -> str:
    return desc[1:-1].replace("/", ".")


def dex_header_counts(data: bytes) -> dict[str, int]:
    """Read id-section sizes from a dex header."""
    (s, t, p, f, m, c) = struct.unpack_from("<I4xI4xI4xI4xI4xI", data, 0x38)
    return {"string_ids": s, "type_ids": t, "proto_ids": p, "field_ids": f, "method_ids": m, "class_defs": c}


def _dex_name(i: int) -> str:
    return "classes.dex" if i == 0 else f"classes{i + 1}.dex"


def run(cmd: list[str]) -> None:
    """Run a command, raising with its output on failure."""
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{res.stdout}\n{res.stderr}")


def assemble_all(gen: Generator, build: Path, jobs: int, heap: str) -> list[Path]:
    """Emit smali per dex and assemble with smali, pipelined."""
    smali = shutil.which("smali")
    if smali is None:
        raise RuntimeError("`smali` not found (Debian package: smali)")
    env = dict(os.environ, JAVA_ARGS=f"-Xmx{heap} -XX:+UseParallelGC")
    running: list[tuple[int, subprocess.Popen[bytes], float, Path]] = []
    outs: list[Path] = []

    def reap(limit: int) -> None:
        while len(running) > limit:
            i, proc, t0, log = running.pop(0)
            if proc.wait() != 0:
                raise RuntimeError(f"smali failed for dex {i}:\n{log.read_text()[-4000:]}")
            size = (build / _dex_name(i)).stat().st_size
            print(
                f"  [{_ts()}] {_dex_name(i)} assembled: {size / 1e6:.1f} MB in {time.monotonic() - t0:.0f}s",
                flush=True,
            )

    n = len(gen.dexes)
    for dex in gen.dexes:
        src = build / f"smali_{dex.index}"
        if src.exists():
            shutil.rmtree(src)
        t0 = time.monotonic()
        written = gen.emit_dex(dex, src)
        print(
            f"  [{_ts()}] dex {dex.index + 1}/{n}: {len(dex.classes)} classes, "
            f"{written / 1e6:.0f} MB smali generated in {time.monotonic() - t0:.1f}s",
            flush=True,
        )
        reap(jobs - 1)
        out = build / _dex_name(dex.index)
        log = build / f"smali_{dex.index}.log"
        with log.open("wb") as lf:
            proc = subprocess.Popen(
                [smali, "a", "--api", str(MIN_SDK), "-j", "1", "-o", str(out), str(src)],
                stdout=lf,
                stderr=subprocess.STDOUT,
                env=env,
            )
        running.append((dex.index, proc, time.monotonic(), log))
        outs.append(out)
    reap(0)
    return outs


def package_apk(build: Path, dex_files: list[Path], out: Path, sign: bool) -> None:
    """Compile manifest with aapt, zip dex files in, zipalign and sign."""
    (build / "AndroidManifest.xml").write_text(manifest_xml())
    base = build / "base.apk"
    run(
        [
            "aapt",
            "package",
            "-f",
            "-M",
            str(build / "AndroidManifest.xml"),
            "-I",
            str(FRAMEWORK_RES),
            "-F",
            str(base),
        ]
    )
    unsigned = build / "unaligned.apk"
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(unsigned, "w") as zout:
        names = zin.namelist()
        for name in names:
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(info, zin.read(name))
        for dex in dex_files:
            info = zipfile.ZipInfo(dex.name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(info, dex.read_bytes(), compresslevel=6)
    aligned = build / "aligned.apk"
    run(["zipalign", "-p", "-f", "4", str(unsigned), str(aligned)])
    if sign:
        ks = out.parent / "bench-debug.keystore"
        if not ks.exists():
            run(
                [
                    "keytool",
                    "-genkeypair",
                    "-keystore",
                    str(ks),
                    "-storepass",
                    "android",
                    "-keypass",
                    "android",
                    "-alias",
                    "bench",
                    "-keyalg",
                    "RSA",
                    "-keysize",
                    "2048",
                    "-validity",
                    "10000",
                    "-dname",
                    "CN=appaudit bench",
                ]
            )
        run(
            [
                "apksigner",
                "sign",
                "--ks",
                str(ks),
                "--ks-pass",
                "pass:android",
                "--key-pass",
                "pass:android",
                "--min-sdk-version",
                str(MIN_SDK),
                "--out",
                str(out),
                str(aligned),
            ]
        )
        idsig = out.with_name(out.name + ".idsig")
        if idsig.exists():
            idsig.unlink()
    else:
        shutil.copyfile(aligned, out)


_T0 = time.monotonic()


def _ts() -> str:
    return f"{time.monotonic() - _T0:6.1f}s"


def sidecar_path(apk: Path) -> Path:
    """Path of the facts JSON for an APK."""
    return apk.with_name(apk.name + ".json")


def is_cached(out: Path, phash: str) -> bool:
    """Whether the APK at ``out`` was built from identical parameters."""
    side = sidecar_path(out)
    if not (out.exists() and side.exists()):
        return False
    try:
        facts = json.loads(side.read_text())
    except (OSError, ValueError):
        return False
    return facts.get("params_hash") == phash and facts.get("apk_size") == out.stat().st_size


def generate(
    out: Path, params: dict[str, int], sign: bool, jobs: int, heap: str, keep_build: bool, min_dex_mb: float
) -> dict[str, object]:
    """Build the APK and its sidecar; return the facts."""
    t_start = time.monotonic()
    out.parent.mkdir(parents=True, exist_ok=True)
    build = out.with_name(out.stem + ".build")
    build.mkdir(exist_ok=True)
    gen = Generator(params)
    print(
        f"[{_ts()}] planning {params['dex_count']} dex x {params['classes_per_dex']} classes (seed {params['seed']})",
        flush=True,
    )
    gen.plan()
    n_methods = sum(len(c.methods) + len(c.hops) + 1 for c in gen.classes.values())
    print(f"[{_ts()}] planned {len(gen.classes)} classes, ~{n_methods} methods", flush=True)
    dex_files = assemble_all(gen, build, jobs, heap)
    dex_info: list[dict[str, object]] = []
    for p in dex_files:
        data = p.read_bytes()
        counts = dex_header_counts(data)
        dex_info.append({"name": p.name, "size": len(data), **counts})
        for key in ("method_ids", "field_ids", "type_ids"):
            if counts[key] > DEX_REF_LIMIT:
                raise RuntimeError(f"{p.name}: {key}={counts[key]} exceeds {DEX_REF_LIMIT}")
    total = sum(int(d["size"]) for d in dex_info)  # type: ignore[call-overload]
    print(f"[{_ts()}] total dex: {total / 1e6:.1f} MB in {len(dex_files)} files", flush=True)
    if total < min_dex_mb * 1e6:
        raise RuntimeError(f"total dex {total / 1e6:.1f} MB < {min_dex_mb} MB; raise --classes-per-dex or --dex-count")
    tmp_out = out.with_name(out.name + ".tmp")
    package_apk(build, dex_files, tmp_out, sign)
    os.replace(tmp_out, out)
    elapsed = time.monotonic() - t_start
    print(f"[{_ts()}] wrote {out} ({out.stat().st_size / 1e6:.1f} MB) in {elapsed:.0f}s", flush=True)
    facts: dict[str, object] = {
        "generator": "appaudit benchmarks/gen_large_apk.py",
        "generator_version": GENERATOR_VERSION,
        "params": params,
        "signed": sign,
        "params_hash": params_hash({**params, "signed": sign, "v": GENERATOR_VERSION}),
        "apk": out.name,
        "apk_size": out.stat().st_size,
        "apk_sha256": sha256_file(out),
        "package": PACKAGE,
        "components": {
            "application": _dotted(APP_CLS),
            "activities": [_dotted(ACTIVITY_CLS)],
            "launcher_activity": _dotted(ACTIVITY_CLS),
            "providers": [_dotted(PROVIDER_CLS)],
        },
        "startup_entry_points": [APP_ONCREATE, f"{APP_CLS}->attachBaseContext({CTX})V", PROVIDER_ONCREATE],
        "startup_chains": gen.chains,
        "unreachable_sensitive": gen.orphans,
        "sensitive_apis": sorted({v[0] for v in API_SNIPPETS.values()}),
        "dex": dex_info,
        "dex_count": len(dex_info),
        "dex_total_bytes": total,
        "stats": {"classes": len(gen.classes), "methods": n_methods},
        "generation_seconds": round(elapsed, 1),
    }
    sidecar_path(out).write_text(json.dumps(facts, indent=2) + "\n")
    if not keep_build:
        shutil.rmtree(build, ignore_errors=True)
    return facts


def iter_default_params(args: argparse.Namespace) -> Iterator[tuple[str, int]]:
    """Generation parameters that affect the output."""
    yield "seed", args.seed
    yield "dex_count", args.dex_count
    yield "classes_per_dex", args.classes_per_dex
    yield "min_methods", args.min_methods
    yield "max_methods", args.max_methods
    yield "min_stmts", args.min_stmts
    yield "max_stmts", args.max_stmts
    yield "unique_strings_per_dex", args.unique_strings


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output APK path")
    ap.add_argument("--seed", type=int, default=1337)
    ap.add_argument("--dex-count", type=int, default=8)
    ap.add_argument("--classes-per-dex", type=int, default=3600)
    ap.add_argument("--min-methods", type=int, default=4)
    ap.add_argument("--max-methods", type=int, default=18)
    ap.add_argument("--min-stmts", type=int, default=4)
    ap.add_argument("--max-stmts", type=int, default=16)
    ap.add_argument(
        "--unique-strings",
        type=int,
        default=30000,
        help="unique const-strings per dex (string ids must stay < 65536)",
    )
    ap.add_argument("--min-dex-mb", type=float, default=50.0, help="fail if the total dex size is below this")
    ap.add_argument("--no-sign", action="store_true", help="skip apksigner")
    ap.add_argument("--jobs", type=int, default=max(1, min(2, os.cpu_count() or 1)), help="concurrent smali processes")
    ap.add_argument("--java-heap", default="3g", help="-Xmx per smali process")
    ap.add_argument("--keep-build", action="store_true", help="keep smali/dex build dir")
    ap.add_argument("--force", action="store_true", help="rebuild even if cached")
    args = ap.parse_args(argv)
    out: Path = args.out.resolve()
    params = dict(iter_default_params(args))
    sign = not args.no_sign
    phash = params_hash({**params, "signed": sign, "v": GENERATOR_VERSION})
    if not args.force and is_cached(out, phash):
        facts = json.loads(sidecar_path(out).read_text())
        print(
            f"cached: {out} ({facts['dex_total_bytes'] / 1e6:.1f} MB dex in {facts['dex_count']} files, params {phash})"
        )
        return 0
    try:
        generate(out, params, sign, args.jobs, args.java_heap, args.keep_build, args.min_dex_mb)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
