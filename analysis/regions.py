"""Regions that only one side covers: cluster the uncovered tools and name each cluster.

The tools of one set that the other set does not cover (``covered_mask`` False) are clustered
with k-means over their embeddings. Each cluster is named by its most distinctive words: the
TF-IDF weight of a word inside the cluster minus its weight over the other uncovered tools, over
the server name and the tool text. Clusters come largest first, with examples (the tools
nearest the cluster's centre) and the servers they most come from.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .embed import tool_text

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DEFAULT_N_CLUSTERS", "exclusive_regions", "name_clusters"]

DEFAULT_N_CLUSTERS = 12
_MINIBATCH_ABOVE = 4000  # points; MiniBatchKMeans beyond, KMeans below
_TOKEN = r"(?u)\b[a-zA-Z][a-zA-Z]{2,}\b"  # words of 3+ letters: no ids, versions or numbers
_EXTRA_STOP = frozenset(
    """tool tools using use used uses returns return given specified specific provided based allows
    parameters parameter optional required default string number list data get set api mcp server
    information details result results value values""".split()
)
_COLUMNS = ["region", "label", "words", "size", "share", "examples", "servers", "members"]


def _document(record: Any) -> str:
    server = getattr(record, "server", None) or ""
    return f"{server} {tool_text(record)}" if server else tool_text(record)


def name_clusters(documents: Sequence[str], labels: np.ndarray, *, top_words: int = 5) -> dict[int, list[str]]:
    """For each cluster label, its ``top_words`` most distinctive words (TF-IDF in the cluster
    minus TF-IDF over the rest)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

    labels = np.asarray(labels)
    stop = sorted(ENGLISH_STOP_WORDS | _EXTRA_STOP)
    min_df = 2 if len(documents) >= 20 else 1
    vectorizer = TfidfVectorizer(
        token_pattern=_TOKEN, lowercase=True, stop_words=stop, min_df=min_df,
        sublinear_tf=True,
    )
    try:
        matrix = vectorizer.fit_transform(documents)
    except ValueError:  # no word survives (empty texts): nothing to name
        return {int(c): [] for c in np.unique(labels)}
    vocab = np.asarray(vectorizer.get_feature_names_out())
    names: dict[int, list[str]] = {}
    for cluster in np.unique(labels):
        inside = labels == cluster
        mean_in = np.asarray(matrix[inside].mean(axis=0)).ravel()
        mean_out = np.asarray(matrix[~inside].mean(axis=0)).ravel() if (~inside).any() else 0.0
        score = mean_in - mean_out
        order = np.argsort(-score, kind="stable")
        chosen: list[str] = []
        for i in order:
            if score[i] <= 0 or len(chosen) == top_words:
                break
            if not any(_same_stem(str(vocab[i]), word) for word in chosen):
                chosen.append(str(vocab[i]))
        names[int(cluster)] = chosen
    return names


def _same_stem(a: str, b: str) -> bool:
    """Crude inflection check, so a name does not say "update updates updated"."""
    return a.startswith(b) or b.startswith(a) or (len(a) > 5 and len(b) > 5 and a[:5] == b[:5])


def _examples(candidates: Sequence[Any], n: int) -> list[str]:
    """Up to ``n`` labels, nearest the centre first, from different servers where possible."""
    chosen: list[str] = []
    servers: set[Any] = set()
    for distinct_servers in (True, False):
        for record in candidates:
            if len(chosen) == n:
                return chosen
            label = getattr(record, "label", None) or getattr(record, "name", str(record))
            server = getattr(record, "server", None)
            if label in chosen or (distinct_servers and server is not None and server in servers):
                continue
            chosen.append(label)
            servers.add(server)
    return chosen


def _cluster(vectors: np.ndarray, n_clusters: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.cluster import KMeans, MiniBatchKMeans

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)  # e.g. fewer distinct points than clusters
        if len(vectors) > _MINIBATCH_ABOVE:
            model: Any = MiniBatchKMeans(
                n_clusters=n_clusters, random_state=seed, n_init=3, batch_size=2048, max_no_improvement=20
            )
        else:
            model = KMeans(n_clusters=n_clusters, random_state=seed, n_init=4)
        labels = model.fit_predict(vectors)
    return labels, model.cluster_centers_


def exclusive_regions(
    records: Sequence[Any],
    vectors: np.ndarray,
    covered_mask: np.ndarray,
    *,
    n_clusters: int = DEFAULT_N_CLUSTERS,
    seed: int = 0,
    top_words: int = 5,
    n_examples: int = 3,
) -> pd.DataFrame:
    """Cluster the records that the other side does not cover (``covered_mask`` False) and
    describe each cluster, largest first.

    Columns: ``region`` (1 = largest), ``label`` (its words joined), ``words``, ``size``,
    ``share`` (of the uncovered tools), ``examples`` (labels of the tools nearest its centre,
    from different servers where possible),
    ``servers`` (the most frequent servers, with counts) and ``members`` (indices into
    ``records``).
    """
    import pandas as pd

    vectors = np.asarray(vectors, dtype=np.float32)
    covered = np.asarray(covered_mask, dtype=bool)
    if not (len(records) == len(vectors) == len(covered)):
        raise ValueError(
            f"exclusive_regions needs one vector and one mask entry per record; got {len(records)} records, "
            f"{len(vectors)} vectors and {len(covered)} mask entries"
        )
    if n_clusters < 1:
        raise ValueError(f"The 'n_clusters' parameter of exclusive_regions must be an int >= 1. Got {n_clusters!r} instead.")
    members = np.flatnonzero(~covered)
    if len(members) == 0:
        return pd.DataFrame(columns=_COLUMNS)
    k = min(n_clusters, len(members))
    points = vectors[members]
    labels, centres = _cluster(points, k, seed) if k > 1 else (np.zeros(len(members), dtype=int), points.mean(0, keepdims=True))
    documents = [_document(records[i]) for i in members]
    words = name_clusters(documents, labels, top_words=top_words)

    rows = []
    for cluster in np.unique(labels):
        inside = np.flatnonzero(labels == cluster)
        distance = np.linalg.norm(points[inside] - centres[cluster], axis=1)
        nearest = inside[np.argsort(distance, kind="stable")]
        examples = _examples([records[members[j]] for j in nearest[: 50 * n_examples]], n_examples)
        servers = Counter(getattr(records[members[j]], "server", None) for j in inside)
        servers.pop(None, None)
        rows.append(
            {
                "label": " ".join(words[int(cluster)]) or f"cluster {int(cluster)}",
                "words": words[int(cluster)],
                "size": len(inside),
                "share": len(inside) / len(members),
                "examples": examples,
                "servers": servers.most_common(3),
                "members": [int(members[j]) for j in inside],
            }
        )
    rows.sort(key=lambda r: (-r["size"], r["label"]))
    for rank, row in enumerate(rows, start=1):
        row["region"] = rank
    return pd.DataFrame(rows, columns=_COLUMNS)
