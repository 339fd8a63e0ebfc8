"""``gtm scope build-index`` and ``gtm scope serve``: make the scope index, and answer checks
from a process that keeps it loaded.

    gtm scope build-index [--data DIR | --training FILE --market FILE] [-o PATH]
                          [--dims N] [--storage int8|float16|float32] [--sample N] [--model M]
    gtm scope serve [--index PATH] [-k N] [--port N [--host H]]

``build-index`` embeds the training APIs and the market tools (through the embedding cache, so a
second build is quick), reduces the vectors (``--dims``, ``--storage``; see
``analysis.index_file``), and writes the index with the data versions inside, by default where
``gtm scope check`` looks first (``analysis.index_path.built_index_path``).

``serve`` loads the index and the model once, then answers. On stdio (the default) each input
line is a tool — a ``"name: description"`` text or a JSON tool object — and each answer is one
JSON line, as ``gtm scope check --json`` prints it (``{"error": ...}`` for a line it cannot score).
With ``--port`` it serves HTTP on 127.0.0.1: ``POST /check`` with a JSON tool, a text, or
``{"tools": [...], "k": N}`` answers a JSON list; ``GET /health`` answers the index's counts.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

__all__ = ["DEFAULT_DIMS", "DEFAULT_STORAGE", "build_index", "serve"]

DEFAULT_DIMS = 0  # the model's own: fewer (PCA) moves verdicts, see benchmarks/scope_index.py (256: 99.2% agree, 128: 94.5%)
DEFAULT_STORAGE = "int8"


def _data_files(data: Path | None, training: Path | None, market: Path | None) -> tuple[Path, Path]:
    from gtm_core.data import DATA_DIR_ENV, MARKET, TRAINING_APIS, data_file

    def pick(given: Path | None, relative: str, option: str) -> Path:
        if given is not None:
            return given
        if data is not None:
            path = data / relative
            if not path.is_file():
                raise click.ClickException(f"{path}: not found; --data must be a folder holding {relative} (or pass {option} FILE)")
            return path
        found = data_file(relative)
        if found is None:
            raise click.ClickException(
                f"the public data ({relative}) was not found: pass --data DIR, set {DATA_DIR_ENV}, or pass {option} FILE "
                "(`gtm data fetch` names the public sources)"
            )
        return found

    return pick(training, TRAINING_APIS, "--training"), pick(market, MARKET, "--market")


@click.command("build-index", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data", type=click.Path(file_okay=False, exists=True, path_type=Path), help="The data folder (default: GTM_DATA_DIR).")
@click.option("--training", type=click.Path(exists=True, path_type=Path), help="Training APIs (any catalog format) instead of the data folder's.")
@click.option("--market", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Market tools (JSONL rows, a catalog or a tools/list dump) instead of the data folder's.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Where to write it (default: where `gtm scope check` looks first).")
@click.option("--dims", type=click.IntRange(min=0), default=DEFAULT_DIMS, show_default=True, help="Dimensions kept (principal directions); 0 keeps the model's (384 for the default).")
@click.option("--storage", type=click.Choice(["int8", "float16", "float32"]), default=DEFAULT_STORAGE, show_default=True, help="How each vector component is stored.")
@click.option("--sample", type=click.IntRange(min=2), default=None, help="Use N tools of each side (a quick, rougher index).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--model", default=None, help="sentence-transformers model name or folder; default: the packaged all-MiniLM-L6-v2.")
def build_index(
    data: Path | None,
    training: Path | None,
    market: Path | None,
    output: Path | None,
    dims: int,
    storage: str,
    sample: int | None,
    seed: int,
    model: str | None,
) -> None:
    """Make the scope index that `gtm scope check` reads, from the public data (or any files)."""
    from gtm_core.errors import GTMError

    from .applicability import ScopeIndex
    from .embed import Embedder
    from .index_file import data_version
    from .index_path import built_index_path
    from .market import load_market, load_training

    training_path, market_path = _data_files(data, training, market)
    output = output if output is not None else built_index_path()
    started = time.perf_counter()
    try:
        training_records, market_records = load_training(training_path), load_market(market_path)
        counts = f"{sample} of each side" if sample else f"{len(training_records):,} training APIs and {len(market_records):,} market tools"
        click.echo(f"embedding {counts} (the embedding cache keeps them for the next build)", err=True)
        embedder = Embedder(model)
        full = ScopeIndex.build(training_records, market_records, embedder=embedder, sample=sample, seed=seed)
        embedder.close()
        index = full.reduced(dims=dims or None, storage=storage)
        index.info["data"] = [
            data_version(training_path, training_path.name),
            data_version(market_path, market_path.name),
        ]
        index.info["build_seconds"] = round(time.perf_counter() - started, 1)
        index.save(output)
    except GTMError as exc:
        raise click.ClickException(str(exc)) from exc
    size = output.stat().st_size / 2**20
    click.echo(
        f"wrote {output} ({size:.1f} MiB): {len(index.training):,} training APIs, {len(index.market):,} market tools, "
        f"{index.training_vectors.shape[1]} dims {storage}, model {index.model_id}, in {index.info['build_seconds']:.0f} s"
    )


def _answer(index: Any, tools: list[Any], k: int) -> list[dict[str, Any]]:
    return [r.to_dict() for r in index.score_many(tools, k=k)]


def _serve_stdio(index: Any, k: int) -> None:
    from gtm_core.errors import GTMError

    from .queries import read_query_line

    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            (answer,) = _answer(index, [read_query_line(line)], k)
        except (GTMError, ValueError) as exc:
            answer = {"error": str(exc)}
        sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
        sys.stdout.flush()


def _serve_http(index: Any, k: int, host: str, port: int) -> None:
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from gtm_core.errors import GTMError

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - the http.server hook
            if self.path.rstrip("/") != "/health":
                self._send(404, {"error": "GET /health, or POST /check"})
                return
            self._send(200, {"training": len(index.training), "market": len(index.market), "model": index.model_id})

        def do_POST(self) -> None:  # noqa: N802 - the http.server hook
            if self.path.rstrip("/") != "/check":
                self._send(404, {"error": "POST /check with a tool, a text or {\"tools\": [...]}"})
                return
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")
                tools = body["tools"] if isinstance(body, dict) and isinstance(body.get("tools"), list) else [body]
                want = int(body.get("k", k)) if isinstance(body, dict) else k
                self._send(200, _answer(index, tools, want))
            except (GTMError, ValueError, TypeError, KeyError) as exc:
                self._send(400, {"error": str(exc)})

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the http.server signature
            pass

    server = HTTPServer((host, port), Handler)
    click.echo(f"scope checks at http://{host}:{server.server_port}/check (POST a tool); Ctrl-C stops", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@click.command("serve", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--index", "index_path", type=click.Path(dir_okay=False), help="The index file to read (default: as for `gtm scope check`).")
@click.option("-k", "--neighbours", "k", type=click.IntRange(min=0), default=3, show_default=True, help="Neighbours listed per side.")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Serve HTTP on this port (0: any free one) instead of stdio.")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address HTTP binds.")
def serve(index_path: str | None, k: int, port: int | None, host: str) -> None:
    """Answer scope checks from one long-lived process: JSON lines on stdio, or HTTP with --port."""
    from gtm_core.errors import GTMError

    from .cli_check import open_index

    started = time.perf_counter()
    try:
        index = open_index(index_path)
        index.score("warm up: load the model before the first question")
    except GTMError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"scope index ready in {time.perf_counter() - started:.1f} s: {index!r}", err=True)
    if port is None:
        _serve_stdio(index, k)
    else:
        _serve_http(index, k, host, port)
