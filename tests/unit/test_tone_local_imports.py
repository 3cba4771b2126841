"""The local training stack (torch, transformers, peft) is an optional extra: the CLI, and
`deskmate tone status --local`, never import it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from training.tone.local.manifest import Hyperparameters, RunRecord, write_record

HEAVY = ("torch", "transformers", "peft", "training.tone.local.trainer")


def _imported_after(code: str) -> list[str]:
    probe = f"import sys\n{code}\nprint(__import__('json').dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = set(json.loads(result.stdout.splitlines()[-1]))
    return [name for name in HEAVY if name in loaded]


def test_the_cli_imports_no_training_library() -> None:
    assert _imported_after("import adapters.cli") == []


def test_status_of_a_local_run_reads_its_manifest_without_the_training_libraries(
    tmp_path: Path,
) -> None:
    record = RunRecord(
        base_model="/models/tiny",
        base_model_type="llama",
        dataset="/data",
        dataset_sha256="ab" * 32,
        train_examples=12,
        held_out_examples=3,
        held_out_source="validation.jsonl",
        hyperparameters=Hyperparameters(),
        device="cpu",
        dtype="float32",
        total_steps=9,
        started_at="2026-12-01T10:00:00+00:00",
        fingerprint="f" * 16,
        status="done",
        step=9,
        held_out_loss_before=6.5,
        held_out_losses=(6.1, 5.9, 5.8),
    )
    write_record(record, tmp_path)
    code = (
        "from typer.testing import CliRunner\nfrom adapters.cli import app\n"
        f"r = CliRunner().invoke(app, ['tone', 'status', '--local', {str(tmp_path)!r}])\n"
        "assert r.exit_code == 0, r.output\n"
        "assert 'Held-out loss: 6.5000 before training -> 5.8000 after' in r.stdout, r.stdout"
    )

    assert _imported_after(code) == []
