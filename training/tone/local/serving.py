"""SERVING.md next to a trained adapter: the exact commands to serve it and to point Deskmate
at it, with this run's real paths filled in."""

from __future__ import annotations

import shlex
from pathlib import Path

from training.tone.local.manifest import RunRecord

SERVING = "SERVING.md"
ADAPTER_NAME = "voice"
VLLM_RANKS = (16, 32, 64, 128, 256)
OLLAMA_ARCHITECTURES = frozenset({"llama", "mistral", "mixtral", "gemma", "gemma2"})


def write_serving(record: RunRecord, adapter: Path) -> Path:
    path = adapter / SERVING
    path.write_text(serving_text(record, adapter.resolve()), encoding="utf-8")
    return path


def serving_text(record: RunRecord, adapter: Path) -> str:
    base = Path(record.base_model)
    name = base.name or "base"
    rank = next((r for r in VLLM_RANKS if r >= record.hyperparameters.lora_rank), VLLM_RANKS[-1])
    return "\n".join(
        [
            "# Serving this tone adapter",
            "",
            f"- Adapter (PEFT LoRA, rank {record.hyperparameters.lora_rank}): `{adapter}`",
            f"- Base model ({record.base_model_type}): `{base}`",
            f"- Trained on `{record.dataset}` (sha256 {record.dataset_sha256[:12]}): "
            f"{record.train_examples} training and {record.held_out_examples} held-out "
            f"examples; held-out loss {_loss(record.held_out_loss_before)} before, "
            f"{_loss(record.held_out_loss)} after.",
            "",
            "Deskmate calls the tone model like the chat model, through `OPENAI_BASE_URL`. One",
            "server can serve both: the base model as the chat model, the adapter as the tone",
            "model. The adapter only works on the exact base model it was trained on.",
            "",
            "## vLLM (GPU)",
            "",
            "```sh",
            f"vllm serve {shlex.quote(str(base))} --served-model-name {shlex.quote(name)} \\",
            f"    --enable-lora --lora-modules {ADAPTER_NAME}={shlex.quote(str(adapter))} \\",
            f"    --max-lora-rank {rank}",
            "```",
            "",
            "Then in Deskmate's `.env`:",
            "",
            "```sh",
            "OPENAI_BASE_URL=http://GPU-HOST:8000/v1",
            "OPENAI_API_KEY=change-me        # the --api-key given to vLLM, any text without one",
            f"DESKMATE_CHAT_MODEL={name}",
            f"DESKMATE_TONE_MODEL={ADAPTER_NAME}",
            "```",
            "",
            *_ollama(record, base, adapter),
            "## Check it before switching it on",
            "",
            "```sh",
            f"deskmate tone eval --model {ADAPTER_NAME} "
            f"--data {shlex.quote(str(Path(record.dataset) / 'validation.jsonl'))}",
            f"deskmate tone eval --model {ADAPTER_NAME} --against CURRENT_TONE_MODEL",
            "```",
            "",
        ]
    )


def _ollama(record: RunRecord, base: Path, adapter: Path) -> list[str]:
    lines = [
        "## Ollama",
        "",
        "A `Modelfile`:",
        "",
        "```",
        f"FROM {base}",
        f"ADAPTER {adapter}",
        "```",
        "",
        "```sh",
        "ollama create deskmate-voice -f Modelfile",
        "```",
        "",
        "Then `OPENAI_BASE_URL=http://OLLAMA-HOST:11434/v1`, `OPENAI_API_KEY=ollama` and",
        "`DESKMATE_TONE_MODEL=deskmate-voice` in Deskmate's `.env`.",
        "",
    ]
    if record.base_model_type not in OLLAMA_ARCHITECTURES:
        lines += [
            f"Note: Ollama imports safetensors adapters only for Llama, Mistral and Gemma "
            f"models; this base model is `{record.base_model_type}`, so use vLLM.",
            "",
        ]
    return lines


def _loss(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"
