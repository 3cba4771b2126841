"""The base model from a local folder: checked, loaded, never downloaded.

The folder is what `save_pretrained` writes (config.json, safetensors weights, tokenizer
files): a chat model with a chat template. Anything else is refused with what to do next.
No remote code is run (`trust_remote_code` stays off).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import (
    AutoConfig,
    AutoModelForCausalLM,
    AutoTokenizer,
    PretrainedConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)
from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING
from transformers.utils import logging as transformers_logging

from training.tone.local.manifest import LocalTrainingError

CAUSAL_ARCHITECTURES = ("ForCausalLM", "LMHeadModel", "ForConditionalGeneration")
WHERE_FROM = (
    "a local folder with the model's config.json, weights and tokenizer, such as a chat "
    "model saved with save_pretrained (Deskmate never downloads a model)"
)


@dataclass(frozen=True)
class Device:
    """Where training runs and in which precision: bf16 on a CUDA GPU, fp32 on the CPU."""

    name: str
    dtype: torch.dtype

    @classmethod
    def pick(cls, requested: str | None = None) -> Device:
        name = requested or ("cuda" if torch.cuda.is_available() else "cpu")
        if name.startswith("cuda") and not torch.cuda.is_available():
            raise LocalTrainingError("--device cuda was asked for, but torch sees no CUDA GPU")
        bf16 = name.startswith("cuda") and torch.cuda.is_bf16_supported()
        return cls(name, torch.bfloat16 if bf16 else torch.float32)

    @property
    def dtype_name(self) -> str:
        return str(self.dtype).removeprefix("torch.")


@dataclass(frozen=True)
class BaseModel:
    path: Path
    model_type: str
    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase


def check_base_model(path: Path) -> PretrainedConfig:
    """The folder's config, once it is known to be a local causal language model."""
    if not path.exists():
        raise LocalTrainingError(f"no base model at {path}; --base-model must be {WHERE_FROM}")
    if not path.is_dir() or not (path / "config.json").is_file():
        raise LocalTrainingError(f"{path} has no config.json; --base-model must be {WHERE_FROM}")
    try:
        config: PretrainedConfig = AutoConfig.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise LocalTrainingError(f"cannot read {path / 'config.json'}: {exc}") from exc
    architectures = tuple(getattr(config, "architectures", None) or ())
    causal = type(config) in MODEL_FOR_CAUSAL_LM_MAPPING and (
        not architectures or any(a.endswith(CAUSAL_ARCHITECTURES) for a in architectures)
    )
    if not causal:
        kind = ", ".join(architectures) or f"{config.model_type} model"
        raise LocalTrainingError(
            f"{path} holds a {kind}, not a causal language model; the tone model must "
            "be a chat model such as Llama, Qwen or Mistral (an instruct version)"
        )
    return config


def load_base_model(path: Path, device: Device) -> BaseModel:
    config = check_base_model(path)
    tokenizer = _tokenizer(path)
    # the trainer shows its own progress
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        model = AutoModelForCausalLM.from_pretrained(
            path, local_files_only=True, dtype=device.dtype
        )
    except (OSError, ValueError, RuntimeError) as exc:
        raise LocalTrainingError(f"cannot load the weights in {path}: {exc}") from exc
    model.to(device.name)  # type: ignore[arg-type]
    return BaseModel(path.resolve(), config.model_type, model, tokenizer)


def _tokenizer(path: Path) -> PreTrainedTokenizerBase:
    try:
        tokenizer: Any = AutoTokenizer.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise LocalTrainingError(f"cannot load the tokenizer in {path}: {exc}") from exc
    if not getattr(tokenizer, "chat_template", None):
        raise LocalTrainingError(
            f"the tokenizer in {path} has no chat template; use the chat (instruct) version "
            "of the model, whose template is how it was taught to read conversations"
        )
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer  # type: ignore[no-any-return]
