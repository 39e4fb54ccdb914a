"""Cache of pooled text embeddings keyed by (encoder version, sha256 of the text).

Product documents change rarely, so nightly inference should not re-encode them. Entries live in
memory and, when a root folder is given, in append-only shard files
``<root>/<encoder_version>/<shard>.npz``: a writer only ever adds a new shard by atomic rename, so
parallel processes can share one cache folder without locks.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np

SHARD_SUFFIX = ".npz"


def text_sha256(text: str) -> str:
    """Content key of a document: identical text -> identical embedding, whatever the SKU."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Embeddings per encoder version; lookups are by text hash."""

    def __init__(self, root: str | Path | None = None) -> None:
        """Args:
        root: folder for persistent shards; None keeps the cache in memory only.
        """
        self.root = None if root is None else Path(root)
        self._entries: dict[str, dict[str, np.ndarray]] = {}

    def _version(self, encoder_version: str) -> dict[str, np.ndarray]:
        if encoder_version not in self._entries:
            entries: dict[str, np.ndarray] = {}
            folder = self._folder(encoder_version)
            if folder is not None and folder.is_dir():
                for shard in sorted(folder.glob(f"*{SHARD_SUFFIX}")):
                    with np.load(shard, allow_pickle=False) as data:
                        for key, vector in zip(data["keys"].tolist(), data["embeddings"]):
                            entries[key] = vector
            self._entries[encoder_version] = entries
        return self._entries[encoder_version]

    def _folder(self, encoder_version: str) -> Path | None:
        return None if self.root is None else self.root / encoder_version

    def get_many(self, encoder_version: str, keys: Sequence[str]) -> list[np.ndarray | None]:
        """The cached vector for each key, None where it is missing."""
        entries = self._version(encoder_version)
        return [entries.get(key) for key in keys]

    def put_many(self, encoder_version: str, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Add vectors (K, E); written to disk as one new shard when the cache has a root."""
        if len(keys) != len(vectors):
            raise ValueError(f"{len(keys)} keys but {len(vectors)} vectors.")
        if len(keys) == 0:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        entries = self._version(encoder_version)
        for key, vector in zip(keys, vectors):
            entries[key] = vector
        folder = self._folder(encoder_version)
        if folder is None:
            return
        folder.mkdir(parents=True, exist_ok=True)
        handle, tmp_name = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(handle, "wb") as tmp:
            np.savez(tmp, keys=np.asarray(list(keys), dtype="U64"), embeddings=vectors)
        os.replace(tmp_name, folder / f"{uuid.uuid4().hex}{SHARD_SUFFIX}")

    def __len__(self) -> int:
        return sum(len(entries) for entries in self._entries.values())
