"""Making the capture proxy's CA a *system* CA on an Android device (all three methods need root).

Android 7+ apps trust only system CAs unless they opt in to user CAs, so the proxy's certificate must be
copied into the system store under the name ``<subject_hash_old>.0`` (computed from the certificate, see
:func:`appaudit.traffic.ca.android_system_ca_name`). Where the store lives decides the method; the driver
detects it on the device instead of guessing from the API level:

``apex``
    Android 14, and Android 13 with an updated Conscrypt module, read CAs from
    ``/apex/com.android.conscrypt/cacerts``, a read-only APEX path that every app sees through its own
    mount namespace. The script copies the current CAs plus ours into a tmpfs mounted over
    ``/system/etc/security/cacerts``, bind-mounts that over the APEX path in the global namespace, then
    enters the mount namespace of each zygote (``nsenter --mount=/proc/<zygote>/ns/mnt -- mount --bind ...``)
    so apps started later inherit it, and of each running app (the zygotes' children) so they see it now.
``system-remount``
    A ``-writable-system`` emulator where ``adb root`` and ``adb remount`` succeed: the file is pushed into
    ``/system/etc/security/cacerts`` and survives reboots.
``tmpfs``
    Anything else that is rootable (API ≤ 33): a tmpfs over ``/system/etc/security/cacerts`` holding the
    existing CAs plus ours. Lost on reboot.

Every method needs root (``adb root`` on a ``google_apis`` emulator image, or ``su`` on a rooted device);
a ``google_play`` image or a stock phone cannot be prepared and is reported as such. The scripts run with
``set -e`` and finish with an ``ls`` of the installed file, so a failed step fails the command.
"""

from __future__ import annotations

SYSTEM_CACERTS = "/system/etc/security/cacerts"
APEX_CACERTS = "/apex/com.android.conscrypt/cacerts"
PUSH_DIR = "/data/local/tmp"  # where the certificate is pushed before a root script installs it
STAGE = "/data/local/tmp/appaudit-cacerts"  # scratch copy of the CA store while the tmpfs is mounted
SYSTEM_FILE_CONTEXT = "u:object_r:system_file:s0"  # the SELinux label of the system CA files


def _tmpfs_over_system(source: str, name: str) -> str:
    """Fill a tmpfs over the system store with the CAs of ``source`` plus ours (idempotent)."""
    return f"""set -e
rm -rf {STAGE}
mkdir -p -m 700 {STAGE}
cp {source}/* {STAGE}/
cp {PUSH_DIR}/{name} {STAGE}/{name}
if ! grep -q " {SYSTEM_CACERTS} tmpfs " /proc/mounts; then
  mount -t tmpfs tmpfs {SYSTEM_CACERTS}
fi
cp {STAGE}/* {SYSTEM_CACERTS}/
rm -rf {STAGE}
chown root:root {SYSTEM_CACERTS}/*
chmod 644 {SYSTEM_CACERTS}/*
chcon {SYSTEM_FILE_CONTEXT} {SYSTEM_CACERTS}/*
"""


def tmpfs_script(name: str) -> str:
    return _tmpfs_over_system(SYSTEM_CACERTS, name) + f"ls {SYSTEM_CACERTS}/{name}\n"


def apex_script(name: str) -> str:
    """The tmpfs store, bind-mounted over the APEX path here, in each zygote and in each running app."""
    return (
        _tmpfs_over_system(APEX_CACERTS, name)
        + f"""mount --bind {SYSTEM_CACERTS} {APEX_CACERTS}
ZYGOTES="$(pidof zygote zygote64 || true)"
for z in $ZYGOTES; do
  nsenter --mount=/proc/$z/ns/mnt -- /system/bin/mount --bind {SYSTEM_CACERTS} {APEX_CACERTS}
done
ps -A -o PID,PPID | while read -r pid ppid; do
  case " $ZYGOTES " in
    *" $ppid "*) nsenter --mount=/proc/$pid/ns/mnt -- /system/bin/mount --bind {SYSTEM_CACERTS} {APEX_CACERTS} \
|| true ;;
  esac
done
ls {APEX_CACERTS}/{name}
"""
    )


def remount_fix_script(name: str) -> str:
    """After ``adb push`` into the remounted /system: owner, mode and SELinux label of the new file."""
    target = f"{SYSTEM_CACERTS}/{name}"
    return f"set -e\nchown root:root {target}\nchmod 644 {target}\nchcon {SYSTEM_FILE_CONTEXT} {target}\nls {target}\n"


NOT_ROOTABLE = (
    "cannot make the proxy CA a system CA on {serial}: no root ({why}). Use an emulator with a Google APIs "
    "image (e.g. system-images;android-34;google_apis;x86_64), not a Google Play image, or a rooted device; "
    "see docs/device-setup.md"
)
