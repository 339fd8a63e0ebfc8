"""``gtm data``: the public data the scope index, the data tests and the notebooks are made from.

    gtm data fetch [--data DIR]

The data folder holds two gzipped JSONL files, ``training_apis/training_apis.jsonl.gz`` and
``market/mcp_market.jsonl.gz`` (fields in the README). They were assembled from the public
datasets :data:`gtm_core.data.SOURCES` names, which are not published as one download, so
``fetch`` downloads nothing: it names each file's sources (where, licence) and says, for the
folder given (``--data``, else ``$GTM_DATA_DIR``), which files it holds, with their size and
sha256 — the versions ``gtm scope build-index`` records in an index (``gtm scope check``
needs none of it: the package ships an index).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import click

__all__ = ["data"]


@click.group("data", context_settings={"help_option_names": ["-h", "--help"]})
def data() -> None:
    """The public data: where it comes from, and whether a data folder holds it."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@data.command("fetch")
@click.option("--data", "folder", type=click.Path(file_okay=False, path_type=Path), default=None, help="The data folder to look in (default: GTM_DATA_DIR).")
def fetch(folder: Path | None) -> None:
    """Name the public sources of each data file, and check which files a data folder holds."""
    from ..data import DATA_DIR_ENV, SOURCES, data_dir

    root = folder if folder is not None else data_dir()
    missing = 0
    for relative, sources in SOURCES.items():
        click.echo(relative)
        for name, where, licence in sources:
            click.echo(f"  from {name}: {where} ({licence})")
        path = root / relative if root is not None else None
        if path is not None and path.is_file():
            click.echo(f"  present: {path} ({path.stat().st_size:,} bytes, sha256 {_sha256(path)})")
        else:
            missing += 1
            click.echo(f"  not present{f' in {root}' if root is not None else ''}")
    if missing:
        click.echo(
            f"\nNothing was downloaded: the files are assembled from the sources above, not published as one archive. "
            f"Put them in a folder with this layout and set {DATA_DIR_ENV} to it (or pass --data to `gtm scope build-index`). "
            "`gtm scope check` does not need them: the package ships a scope index.",
            err=True,
        )
        raise SystemExit(1)
