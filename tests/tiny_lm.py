"""A tiny chat model built on the spot, for local fine-tuning tests and the benchmark.

No model can be downloaded here, so: a byte-level BPE tokenizer trained with `tokenizers` on
the example dataset's own text, a ChatML chat template, and a randomly initialised two-layer
Llama, saved with `save_pretrained` like any local open-weights model folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

CHATML = (
    "{% for message in messages %}"
    "<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL = ["<|pad|>", "<|im_start|>", "<|im_end|>"]


def dataset_texts(*files: Path) -> list[str]:
    """Every message's text in chat JSONL files (train.jsonl, validation.jsonl)."""
    texts = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            texts += [m["content"] for m in json.loads(line)["messages"]]
    return texts


def build_tiny_chat_model(
    folder: Path,
    texts: Iterable[str],
    *,
    vocab: int = 512,
    hidden: int = 64,
    layers: int = 2,
    init: float = 0.1,
) -> Path:
    """Save a tokenizer (trained on `texts`) and a random Llama of that size in `folder`.

    The weights are drawn wider than Llama's usual 0.02: behind the final RMS norm, a 64-wide
    model with 0.02 weights cannot make any logit larger than about 1.3, so no adapter could
    make it much surer of any token and the loss would barely move."""
    tokenizer = _tokenizer(list(texts), vocab)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
        tie_word_embeddings=False,
        initializer_range=init,
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _tokenizer(texts: list[str], vocab: int) -> PreTrainedTokenizerFast:
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab,
        special_tokens=SPECIAL,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        pad_token="<|pad|>",
        eos_token="<|im_end|>",
        chat_template=CHATML,
    )
