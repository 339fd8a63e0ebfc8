"""Where the public data lives: one setting, the GTM_DATA_DIR environment variable.

Tests, benchmarks and notebooks read the MCP market crawl and the training API catalogs
from there. Unset, it defaults to ``../shared/data`` beside the checkout when that exists.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DATA_DIR_ENV", "MARKET", "SOURCES", "TRAINING_APIS", "data_dir", "data_file"]

DATA_DIR_ENV = "GTM_DATA_DIR"
TRAINING_APIS = "training_apis/training_apis.jsonl.gz"
MARKET = "market/mcp_market.jsonl.gz"


def data_dir() -> Path | None:
    """The data folder: $GTM_DATA_DIR, else ../shared/data beside the checkout, else None."""
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        path = Path(configured).expanduser()
        return path if path.is_dir() else None
    checkout = Path(__file__).resolve().parent.parent
    for candidate in (checkout.parent / "shared" / "data", Path.cwd().parent / "shared" / "data"):
        if candidate.is_dir():
            return candidate
    return None


def data_file(relative: str) -> Path | None:
    """A file inside the data folder, or None when the folder or the file is absent."""
    root = data_dir()
    if root is None:
        return None
    path = root / relative
    return path if path.exists() else None


# The public datasets each data file was made from: (name, where, licence).
SOURCES: dict[str, tuple[tuple[str, str, str], ...]] = {
    MARKET: (
        ("Toucan's Smithery crawl", "https://huggingface.co/datasets/TheAgentArk/Toucan", "MIT"),
        ("ToolSDK MCP registry", "https://github.com/toolsdk-ai/toolsdk-mcp-registry", "MIT"),
    ),
    TRAINING_APIS: (
        ("Seal-Tools", "https://github.com/fairyshine/Seal-Tools", "Apache-2.0"),
        ("StableToolBench (ToolBench's RapidAPI endpoints)", "https://github.com/THUNLP-MT/StableToolBench", "Apache-2.0"),
        ("BFCL function docs (the bfcl-eval wheel: pip download --no-deps bfcl-eval)", "https://pypi.org/project/bfcl-eval/", "Apache-2.0"),
    ),
}
