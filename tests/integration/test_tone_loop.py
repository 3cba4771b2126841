"""The tone model end to end: dataset -> upload -> job -> status -> model id -> phrased answers,
with the real `openai` client talking to a fake OpenAI-compatible server on loopback, and the
fact guard throwing away any phrasing that loses or invents a fact."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from typer.testing import CliRunner, Result

from adapters.cli import app
from adapters.runtime import open_runtime
from bot.models import EVERYONE, Asker, Question
from bot.prompts import ANSWER_SYSTEM
from bot.store.feedback import StoredAnswer
from bot.tone.prompts import TONE_SYSTEM
from tests.conftest import EXAMPLES, llm_settings, make_settings
from tests.fakes.openai_finetune import FakeFineTuning
from tests.fakes.openai_server import FakeOpenAI, serve
from training.tone.dataset import build_dataset, write_dataset

runner = CliRunner()
EVERYONE_ONLY = frozenset({EVERYONE})
QUESTION = "How many weeks of parental leave do primary caregivers get?"
DRAFT = "Primary caregivers receive 16 weeks of fully paid leave [1]."
PHRASED = "Congratulations! As a primary caregiver you get 16 weeks of fully paid leave [1]."
TONE_MODEL = "ft:gpt-4o-mini-2024-07-18:halyard:voice:abc123"
CHAT_MODEL = "gpt-4o-mini"


@pytest.fixture
def openai_ft() -> Iterator[tuple[FakeOpenAI, FakeFineTuning, str]]:
    """The fake OpenAI server with fine-tuning routes: (its state, fine-tuning state, base URL)."""
    fake = FakeOpenAI()
    tuning = FakeFineTuning().install(fake)
    with serve(fake) as server:
        yield fake, tuning, f"{server.url}/v1"


def _env(tmp_path: Path, base_url: str, database_url: str = "", **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "DESKMATE_DATA_DIR": str(tmp_path / "data"),
        "DESKMATE_SOURCES": str(EXAMPLES / "sources.yaml"),
        "DESKMATE_GROUPS": str(EXAMPLES / "groups.yaml"),
        "DESKMATE_TONE_FILE": str(tmp_path / "no-tone.yaml"),
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "OPENAI_BASE_URL": base_url,
        "DESKMATE_LLM_TIMEOUT": "5",
        "DESKMATE_LLM_RETRIES": "0",
        **extra,
    }


def _tone(args: list[str], env: dict[str, str]) -> Result:
    return runner.invoke(app, ["tone", *args], env=env)


def _ask(text: str, name: str | None = None) -> Question:
    return Question(text, Asker("U0TEST", display_name=name), EVERYONE_ONLY, EVERYONE_ONLY)


def _fallbacks(mode: str, reason: str) -> float:
    value = REGISTRY.get_sample_value(
        "deskmate_tone_fallbacks_total", {"mode": mode, "reason": reason}
    )
    return value or 0.0


def _dataset(folder: Path) -> Path:
    write_dataset(build_dataset(EXAMPLES / "tone" / "examples.jsonl"), folder)
    return folder


async def _like(database_url: str, tmp_path: Path, question: str, answer: str) -> None:
    async with open_runtime(make_settings(database_url, tmp_path)) as runtime:
        stored = StoredAnswer("liked-1", "U0TEST", question, answer, [], answered=True)
        await runtime.store.feedback.save_answer(stored)
        await runtime.store.feedback.record("liked-1", "slack", "U0TEST", 1)


# --- the whole loop ------------------------------------------------------------------------


def test_dataset_upload_job_status_model_id_and_an_answer_phrased_by_that_model(
    sample_db: str, tmp_path: Path, openai_ft: tuple[FakeOpenAI, FakeFineTuning, str]
) -> None:
    fake, tuning, base_url = openai_ft
    liked = "Employees receive 10 days of paid sick leave per calendar year [1]."
    asyncio.run(_like(sample_db, tmp_path, "How many sick days do I get?", liked))
    env = _env(tmp_path, base_url, sample_db)
    out = tmp_path / "dataset"

    built = _tone(
        ["dataset", "--examples", str(EXAMPLES / "tone/examples.jsonl"), "--out", str(out)], env
    )

    assert built.exit_code == 0, built.output
    assert "15 curated" in built.stdout
    assert "1 from 👍 answers" in built.stdout
    assert "Split: 13 training, 3 validation" in built.stdout
    assert "ceil(characters / 4)" in built.stdout
    written = (out / "train.jsonl").read_text() + (out / "validation.jsonl").read_text()
    assert json.dumps(liked) in written

    started = _tone(
        ["train", "--data", str(out), "--suffix", "voice", "--epochs", "2", "--json"], env
    )

    assert started.exit_code == 0, started.output
    job_id = json.loads(started.stdout)["job_id"]
    uploads = [r["body"] for r in fake.requests if r["path"] == "/v1/files"]
    assert uploads == [
        {"purpose": "fine-tune", "filename": "train.jsonl"},
        {"purpose": "fine-tune", "filename": "validation.jsonl"},
    ]
    job = tuning.jobs[job_id]
    assert tuning.uploaded_lines(job["training_file"]) == [
        json.loads(line) for line in (out / "train.jsonl").read_text().splitlines()
    ]
    assert job["validation_file"] in tuning.files
    assert (job["model"], job["suffix"]) == ("gpt-4o-mini-2024-07-18", "voice")
    assert job["method"] == {
        "type": "supervised",
        "supervised": {"hyperparameters": {"n_epochs": 2}},
    }

    running = _tone(["status", job_id], env)

    assert running.exit_code == 0, running.output
    assert f"Job {job_id}: running" in running.stdout
    assert f"Still running; check again with: deskmate tone status {job_id}" in running.stdout

    done = json.loads(_tone(["status", "--json"], env).stdout)  # the most recent job

    model_id = f"ft:gpt-4o-mini-2024-07-18:halyard:voice:{job_id[-8:]}"
    assert (done["id"], done["status"], done["fine_tuned_model"]) == (job_id, "succeeded", model_id)
    assert done["trained_tokens"] == 100 * 13 * 2
    assert [e["message"] for e in done["events"]] == [
        f"Validating training file: {job['training_file']}",
        "Fine-tuning job started",
        f"New fine-tuned model created: {model_id}",
        "The job has successfully completed",
    ]
    assert f"Use it: DESKMATE_TONE_MODEL={model_id}" in _tone(["status", job_id], env).stdout

    fake.script(DRAFT, PHRASED)
    asked = runner.invoke(
        app, ["ask", QUESTION, "--json"], env=env | {"DESKMATE_TONE_MODEL": model_id}
    )

    assert asked.exit_code == 0, asked.output
    assert json.loads(asked.stdout)["answer"] == PHRASED
    draft_request, tone_request = fake.chat_requests()
    assert (draft_request["model"], tone_request["model"]) == (CHAT_MODEL, model_id)
    assert tone_request["messages"][0]["content"] == TONE_SYSTEM
    assert f"<draft>\n{DRAFT}\n</draft>" in tone_request["messages"][1]["content"]


# --- the fact guard at answer time ---------------------------------------------------------


async def test_a_phrasing_that_drops_a_number_is_replaced_by_the_draft_and_counted(
    sample_db: str,
    tmp_path: Path,
    fake_openai: tuple[FakeOpenAI, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake, base_url = fake_openai
    fake.script(DRAFT, "Congratulations! As a primary caregiver you get plenty of paid leave [1].")
    before = _fallbacks("rewrite", "lost_fact")
    settings = llm_settings(sample_db, tmp_path, base_url, tone_model=TONE_MODEL)

    async with open_runtime(settings) as runtime:
        answer = await runtime.engine.answer(_ask(QUESTION))

    assert answer.text == DRAFT
    assert _fallbacks("rewrite", "lost_fact") == before + 1
    assert [r["model"] for r in fake.chat_requests()] == [CHAT_MODEL, TONE_MODEL]
    assert "lost_fact: lost 16" in caplog.text


async def test_a_phrasing_that_invents_a_number_is_replaced_by_the_draft_and_counted(
    sample_db: str, tmp_path: Path, fake_openai: tuple[FakeOpenAI, str]
) -> None:
    fake, base_url = fake_openai
    fake.script(DRAFT, "You get 16 weeks of fully paid leave, plus 2 bonus weeks [1].")
    before = _fallbacks("rewrite", "invented_fact")
    settings = llm_settings(sample_db, tmp_path, base_url, tone_model=TONE_MODEL)

    async with open_runtime(settings) as runtime:
        answer = await runtime.engine.answer(_ask(QUESTION))

    assert answer.text == DRAFT
    assert _fallbacks("rewrite", "invented_fact") == before + 1


async def test_a_phrasing_that_keeps_every_fact_is_sent_and_house_style_frames_it(
    sample_db: str, tmp_path: Path, fake_openai: tuple[FakeOpenAI, str]
) -> None:
    fake, base_url = fake_openai
    fake.script(DRAFT, PHRASED + " I hope this helps!")
    style = tmp_path / "tone.yaml"
    style.write_text('greeting: "Hi {name}!"\nbanned: [I hope this helps]\n')
    settings = llm_settings(sample_db, tmp_path, base_url, tone_model=TONE_MODEL, tone_file=style)

    async with open_runtime(settings) as runtime:
        answer = await runtime.engine.answer(_ask(QUESTION, name="Ana"))

    assert answer.text == f"Hi Ana!\n\n{PHRASED}"
    assert answer.grounded


async def test_direct_mode_answers_with_the_tone_model_in_one_call(
    sample_db: str, tmp_path: Path, fake_openai: tuple[FakeOpenAI, str]
) -> None:
    fake, base_url = fake_openai
    fake.script(PHRASED)
    settings = llm_settings(
        sample_db, tmp_path, base_url, tone_model=TONE_MODEL, tone_mode="direct"
    )

    async with open_runtime(settings) as runtime:
        answer = await runtime.engine.answer(_ask(QUESTION))

    assert answer.text == PHRASED
    (request,) = fake.chat_requests()
    assert request["model"] == TONE_MODEL
    assert request["messages"][0]["content"] == ANSWER_SYSTEM


async def test_direct_mode_asks_the_chat_model_when_the_tone_model_states_an_unknown_amount(
    sample_db: str, tmp_path: Path, fake_openai: tuple[FakeOpenAI, str]
) -> None:
    fake, base_url = fake_openai
    fake.script("You get 16 weeks of fully paid leave and a $9,999 bonus [1].", DRAFT)
    before = _fallbacks("direct", "invented_fact")
    settings = llm_settings(
        sample_db, tmp_path, base_url, tone_model=TONE_MODEL, tone_mode="direct"
    )

    async with open_runtime(settings) as runtime:
        answer = await runtime.engine.answer(_ask(QUESTION))

    assert answer.text == DRAFT
    assert [r["model"] for r in fake.chat_requests()] == [TONE_MODEL, CHAT_MODEL]
    assert _fallbacks("direct", "invented_fact") == before + 1


async def test_house_style_applies_offline_to_extractive_and_dont_know_answers(
    sample_db: str, tmp_path: Path
) -> None:
    style = tmp_path / "tone.yaml"
    style.write_text('greeting: "Hi {name}!"\nsign_off: "— Deskmate at Halyard"\n')

    async with open_runtime(make_settings(sample_db, tmp_path, tone_file=style)) as runtime:
        extractive = await runtime.engine.answer(_ask("How many sick days do I get?", "Ana"))
        unknown = await runtime.engine.answer(_ask("Who won the 1966 World Cup?", "Ana"))

    assert extractive.text.startswith("Hi Ana!\n\nHere is what the knowledge base says:")
    assert extractive.text.endswith("\n\n— Deskmate at Halyard")
    assert unknown.text.startswith("Hi Ana!\n\nI couldn't find an answer")


def test_a_tone_model_without_an_api_key_fails_at_start_with_what_to_do(
    sample_db: str, tmp_path: Path
) -> None:
    env = _env(tmp_path, "http://127.0.0.1:9/v1", sample_db, DESKMATE_TONE_MODEL=TONE_MODEL)
    del env["OPENAI_API_KEY"]

    result = runner.invoke(app, ["ask", QUESTION], env=env)

    assert result.exit_code == 1
    assert "DESKMATE_TONE_MODEL is set but OPENAI_API_KEY is not" in result.stderr
    assert "Traceback" not in result.output


# --- bad data and API failures: one clear line, nothing uploaded -----------------------------


def test_dataset_with_malformed_examples_reports_each_line_and_writes_nothing(
    tmp_path: Path,
) -> None:
    examples = tmp_path / "examples.jsonl"
    examples.write_text(
        '{"draft": "You get 20 days [1].", "answer": "You get 20 days [1]."}\n'
        "{not json}\n"
        '{"draft": "You get 20 days [1].", "answer": ""}\n'
    )
    out = tmp_path / "dataset"

    result = _tone(
        ["dataset", "--examples", str(examples), "--no-feedback", "--out", str(out)],
        _env(tmp_path, "http://127.0.0.1:9/v1"),
    )

    assert result.exit_code == 1
    assert "examples.jsonl:2: not valid JSON" in result.stderr
    assert 'examples.jsonl:3: "answer" is empty' in result.stderr
    assert "nothing written" in result.stderr
    assert not out.exists()


def test_train_refuses_malformed_files_and_uploads_nothing(
    tmp_path: Path, openai_ft: tuple[FakeOpenAI, FakeFineTuning, str]
) -> None:
    fake, _, base_url = openai_ft
    data = _dataset(tmp_path / "dataset")
    with (data / "train.jsonl").open("a") as train:
        train.write('{"messages": [{"role": "user", "content": "Hi"}]}\n')
        train.write('{"messages": [{"role": "assistant", "content": "' + "x" * 70_000 + '"}]}\n')

    result = _tone(["train", "--data", str(data)], _env(tmp_path, base_url))

    assert result.exit_code == 1
    assert "train.jsonl:13: no assistant message" in result.stderr
    assert "train.jsonl:14: about 17,506 tokens, over the 16,385-token limit" in result.stderr
    assert "nothing uploaded" in result.stderr
    assert fake.requests == []


def test_a_rejected_file_is_one_line_naming_the_file_and_the_reason(
    tmp_path: Path, openai_ft: tuple[FakeOpenAI, FakeFineTuning, str]
) -> None:
    _, tuning, base_url = openai_ft
    tuning.reject_uploads = "File exceeds the organization's storage quota"
    data = _dataset(tmp_path / "dataset")

    result = _tone(["train", "--data", str(data)], _env(tmp_path, base_url))

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: train.jsonl was rejected: File exceeds the organization's storage quota (HTTP 400)"
    )
    assert tuning.jobs == {}


def test_a_failed_job_exits_non_zero_with_the_reason(
    tmp_path: Path, openai_ft: tuple[FakeOpenAI, FakeFineTuning, str]
) -> None:
    _, tuning, base_url = openai_ft
    tuning.fail_jobs = ("invalid_training_file", "The training file has duplicate examples")
    env = _env(tmp_path, base_url)
    data = _dataset(tmp_path / "dataset")
    job_id = json.loads(_tone(["train", "--data", str(data), "--json"], env).stdout)["job_id"]
    _tone(["status", job_id], env)

    result = _tone(["status", job_id], env)

    assert result.exit_code == 1
    assert "Fine-tuning job failed: The training file has duplicate examples" in result.stdout
    assert result.stderr.strip() == (
        f"error: job {job_id} failed: invalid_training_file: "
        "The training file has duplicate examples"
    )


def test_an_unknown_job_and_a_missing_key_are_explained(
    tmp_path: Path, openai_ft: tuple[FakeOpenAI, FakeFineTuning, str]
) -> None:
    _, _, base_url = openai_ft
    env = _env(tmp_path, base_url)

    unknown = _tone(["status", "ftjob-nope"], env)
    del env["OPENAI_API_KEY"]
    keyless = _tone(["train", "--data", str(_dataset(tmp_path / "dataset"))], env)

    assert unknown.exit_code == 1
    assert unknown.stderr.startswith("error: no fine-tuning job 'ftjob-nope'")
    assert keyless.exit_code == 1
    assert keyless.stderr.strip().startswith("error: OPENAI_API_KEY is not set; set it")


# --- evaluation ------------------------------------------------------------------------------


def test_eval_reports_the_fact_guard_pass_rate_and_the_length_change(
    tmp_path: Path, fake_openai: tuple[FakeOpenAI, str]
) -> None:
    fake, base_url = fake_openai
    pairs = [  # (held-out draft, what the tone model writes)
        ("Employees accrue 20 days per year [1].", "You get 20 days a year [1]."),
        ("Primary caregivers get 16 weeks [1].", "You get plenty of leave [1]."),
    ]
    held_out = tmp_path / "validation.jsonl"
    held_out.write_text(
        "".join(json.dumps({"messages": _rewrite_messages(d, "...")}) + "\n" for d, _ in pairs)
    )
    fake.script(*(phrased for _, phrased in pairs))

    result = _tone(
        ["eval", "--data", str(held_out), "--model", TONE_MODEL, "--json"],
        _env(tmp_path, base_url),
    )

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["examples"], report["passed"], report["pass_rate"]) == (2, 1, 0.5)
    assert report["failures"] == [{"where": "validation.jsonl:2", "detail": "lost 16"}]
    shorter = [len(phrased) / len(draft) - 1 for draft, phrased in pairs]  # about -27%
    assert report["length_change"] == round(sum(shorter) / 2, 4)
    assert {r["model"] for r in fake.chat_requests()} == {TONE_MODEL}


def _rewrite_messages(draft: str, answer: str) -> list[dict[str, str]]:
    from bot.tone.prompts import rewrite_user_message

    return [
        {"role": "system", "content": TONE_SYSTEM},
        {"role": "user", "content": rewrite_user_message("", draft)},
        {"role": "assistant", "content": answer},
    ]
