"""Text inputs: embedding cache keyed by encoder version and text hash; fixed-length tokens."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from inventory_pipeline.model import DemandForecaster, EmbeddingCache, train
from inventory_pipeline.model.embedding_cache import text_sha256
from inventory_pipeline.model.text import (
    TextFeaturizer,
    laid_out,
    resolve_encoder_path,
    split_reviews,
)
from inventory_pipeline_tests.model.synthetic import make_samples, small_config

TEXTS = ["bestseller kettle | kitchen", "niche puzzle | toys", "bestseller kettle | kitchen"]


def test_frozen_embeddings_are_cached_on_disk_and_reused(tmp_path: Path) -> None:
    config = small_config()
    path = resolve_encoder_path(None)
    first = TextFeaturizer(config, path, EmbeddingCache(tmp_path))
    lines: list[str] = []
    first.on_progress = lines.append  # the run log's progress lines
    inputs = first.prepare(TEXTS)
    assert lines[0] == (
        "text: encoding 2 product document(s) with the frozen encoder "
        "(0 of 2 found in the embedding cache)"
    )
    assert lines[-1].startswith("text: encoded 2/2 document(s) in ") and len(lines) == 2
    assert inputs.embedding is not None and inputs.embedding.shape[0] == 2  # unique texts
    assert inputs.row.tolist() == [0, 1, 0]
    assert len(list((tmp_path / first.encoder_version).glob("*.npz"))) == 1

    second = TextFeaturizer(config, path, EmbeddingCache(tmp_path))  # a new process, same folder
    second.on_progress = lines.append
    again = second.prepare(TEXTS)
    assert len(lines) == 2  # nothing to encode, nothing said
    assert second._frozen_encoder is None  # served from the cache, encoder never loaded
    assert again.embedding is not None and torch.equal(again.embedding, inputs.embedding)

    stored = EmbeddingCache(tmp_path).get_many(first.encoder_version, [text_sha256(TEXTS[1])])[0]
    assert stored is not None and np.array_equal(stored, inputs.embedding[1].numpy())
    second.prepare([*TEXTS, "new lamp | home"])
    assert lines[2].endswith("(2 of 3 found in the embedding cache)")
    other = small_config(max_tokens=8)  # another token budget is another encoder version
    assert TextFeaturizer(other, path).encoder_version != first.encoder_version


def test_trainable_strategies_get_fixed_length_tokens() -> None:
    config = small_config(finetune="lora")
    inputs = TextFeaturizer(config, resolve_encoder_path(None)).prepare(TEXTS)
    assert inputs.embedding is None
    assert inputs.input_ids is not None and inputs.attention_mask is not None
    assert inputs.input_ids.shape == (2, config.max_tokens)
    assert inputs.attention_mask.sum() > 0


def test_a_documents_embedding_does_not_depend_on_the_other_documents_encoded_with_it() -> None:
    # Under bf16 autocast oneDNN picks kernels by batch size: without fixed-shape batches a
    # product's vector (and so its forecast) changed with the number of products encoded with it.
    config = small_config(text_batch_size=8)
    path = resolve_encoder_path(None)
    docs = [f"product {i} | steel pan {i * 3} cm | premium brand, good reviews" for i in range(20)]
    alone = TextFeaturizer(config, path).embed(docs[5:6])
    few = TextFeaturizer(config, path).embed(docs[3:9])
    many = TextFeaturizer(config, path).embed(docs)
    assert torch.equal(few[2], alone[0])
    assert torch.equal(many[5], alone[0])
    assert torch.equal(many[3:9], few)


def test_reviews_first_layout_moves_review_snippets_before_the_description() -> None:
    document = (
        "Title: Kuchwerk Wok, 28 cm\nCategory: home > kitchen > cookware\nBrand: Kuchwerk\n"
        "Price tier: mid\nDescription: Solid quality.\n- dishwasher safe\n"
        "Recent reviews:\n- 2/5 Bof: Fragile.\n- 5/5 Top: Great."
    )
    moved = laid_out(document, "reviews_first")
    assert moved == (
        "Title: Kuchwerk Wok, 28 cm\nCategory: home > kitchen > cookware\nBrand: Kuchwerk\n"
        "Price tier: mid\nRecent reviews:\n- 2/5 Bof: Fragile.\n- 5/5 Top: Great.\n"
        "Description: Solid quality.\n- dishwasher safe"
    )
    assert sorted(moved.split("\n")) == sorted(document.split("\n"))  # nothing lost
    assert laid_out(document, "as_built") == document
    no_reviews = document.split("\nRecent reviews:")[0]
    assert laid_out(no_reviews, "reviews_first") == no_reviews


LONG_DOCUMENT = (
    "Title: Kuchwerk Wok, 28 cm\nCategory: home > kitchen > cookware\nBrand: Kuchwerk\n"
    "Price tier: mid\nDescription: Solid quality, carbon steel, heats evenly on gas, induction "
    "and electric hobs; riveted handle, seasoned at the factory, flat base, deep walls for "
    "stir-frying and steaming, comes with a bamboo lid and a steel rack.\n- dishwasher safe\n"
    "- oven safe up to 220 degrees\n- 1.4 kg"
)


def test_reviews_apart_reads_the_reviews_a_token_budget_would_cut() -> None:
    # the description fills the 64-token budget, so as built the two documents below
    # (same product, one with a defect review, one with praise) are the same text to the encoder
    path = resolve_encoder_path(None)
    defect = f"{LONG_DOCUMENT}\nRecent reviews:\n- 1/5 Defective!: Broke after two days."
    praise = f"{LONG_DOCUMENT}\nRecent reviews:\n- 5/5 Love it: Great pan, works perfectly."
    as_built = TextFeaturizer(small_config(max_tokens=64), path).prepare([defect, praise])
    assert as_built.embedding is not None
    assert torch.equal(as_built.embedding[0], as_built.embedding[1])

    config = small_config(max_tokens=64, document_layout="reviews_apart")
    assert laid_out(defect, "reviews_apart") == defect
    featurizer = TextFeaturizer(config, path)
    apart = featurizer.prepare([defect, praise, LONG_DOCUMENT])
    assert apart.embedding is not None and apart.embedding.shape == (3, 2 * 384)
    document, reviews = apart.embedding[:, :384], apart.embedding[:, 384:]
    assert torch.equal(document[0], document[1]) and torch.equal(document[0], document[2])
    assert torch.equal(document[0], as_built.embedding[0])  # the document part alone is cut
    assert not torch.allclose(reviews[0], reviews[1], atol=1e-3)  # the reviews are read
    assert torch.count_nonzero(reviews[2]) == 0  # no reviews: zeros
    assert torch.equal(reviews[0], featurizer.embed([split_reviews(defect)[1]])[0])
    assert split_reviews(defect) == (
        LONG_DOCUMENT,
        "Recent reviews:\n- 1/5 Defective!: Broke after two days.",
    )


def test_reviews_apart_trains_saves_and_loads(tmp_path: Path) -> None:
    config = small_config(document_layout="reviews_apart", max_epochs=1)
    samples = make_samples(config, 32, seed=5)
    reviewed = [
        f"{text}\nRecent reviews:\n- {1 + i % 5}/5 review {i % 3}" if i % 2 else text
        for i, text in enumerate(samples.texts)
    ]
    samples = replace(samples, texts=reviewed)
    forecaster, _ = train(config, samples)
    assert forecaster.network.text_dim == 2 * 384
    loaded = DemandForecaster.load(forecaster.save(tmp_path / "model"))
    assert loaded.config.document_layout == "reviews_apart"
    assert np.array_equal(forecaster.predict(samples).daily, loaded.predict(samples).daily)


def test_reviews_apart_needs_the_frozen_encoder() -> None:
    with pytest.raises(ValueError, match="reviews_apart.*finetune='frozen'"):
        small_config(document_layout="reviews_apart", finetune="lora").validate()
