"""`deskmate tone eval` against served tone models: the house style kept, and two tone models
(say a hosted fine-tune and a local LoRA adapter on vLLM) compared side by side on the same
held-out drafts, each through its own OpenAI-compatible endpoint."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from adapters.cli import app
from bot.prompts import ANSWER_SYSTEM
from bot.tone.prompts import TONE_SYSTEM, rewrite_user_message
from tests.fakes.openai_server import FakeOpenAI, serve

runner = CliRunner()
HOSTED = "ft:gpt-4o-mini-2024-07-18:halyard:voice:abc123"
LOCAL = "voice"
DRAFTS = [
    "Employees accrue 20 days per year [1].",
    "Primary caregivers get 16 weeks [1].",
]


def _held_out(tmp_path: Path, *extra: list[dict[str, str]]) -> Path:
    path = tmp_path / "validation.jsonl"
    conversations = [_rewrite(draft) for draft in DRAFTS] + list(extra)
    path.write_text("".join(json.dumps({"messages": m}) + "\n" for m in conversations))
    return path


def _rewrite(draft: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": TONE_SYSTEM},
        {"role": "user", "content": rewrite_user_message("", draft)},
        {"role": "assistant", "content": "..."},
    ]


def _env(tmp_path: Path, base_url: str, style: str = "") -> dict[str, str]:
    tone_file = tmp_path / "tone.yaml"
    if style:
        tone_file.write_text(style)
    return {
        "DESKMATE_DATA_DIR": str(tmp_path / "data"),
        "DESKMATE_TONE_FILE": str(tone_file),
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "OPENAI_BASE_URL": base_url,
        "DESKMATE_LLM_TIMEOUT": "5",
        "DESKMATE_LLM_RETRIES": "0",
    }


def _eval(args: list[str], env: dict[str, str]) -> Result:
    return runner.invoke(app, ["tone", "eval", *args], env=env)


def test_two_tone_models_phrase_the_same_drafts_and_are_scored_side_by_side(
    tmp_path: Path, fake_openai: tuple[FakeOpenAI, str]
) -> None:
    fake, base_url = fake_openai
    fake.script(
        "You get 20 days a year [1].",  # the hosted model keeps both facts
        "You get 16 weeks [1].",
        "You get 20 days a year [1].",  # the local one loses the 16
        "You get plenty of leave [1].",
    )
    data = _held_out(tmp_path)

    result = _eval(
        ["--data", str(data), "--model", HOSTED, "--against", LOCAL, "--json"],
        _env(tmp_path, base_url),
    )

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    hosted, local = report["models"]
    assert (hosted["model"], hosted["passed"], hosted["pass_rate"]) == (HOSTED, 2, 1.0)
    assert (local["model"], local["passed"], local["pass_rate"]) == (LOCAL, 1, 0.5)
    second = report["cases"][1]
    assert second["where"] == "validation.jsonl:2"
    assert [(r["model"], r["passed"], r["detail"]) for r in second["results"]] == [
        (HOSTED, True, "all facts kept"),
        (LOCAL, False, "lost 16"),
    ]
    requests = fake.chat_requests()
    assert [r["model"] for r in requests] == [HOSTED, HOSTED, LOCAL, LOCAL]
    asked = [r["messages"][1]["content"] for r in requests]
    assert asked[:2] == asked[2:]  # the very same drafts


def test_the_second_model_can_live_on_its_own_endpoint(
    tmp_path: Path, fake_openai: tuple[FakeOpenAI, str]
) -> None:
    hosted_api, base_url = fake_openai
    hosted_api.script("You get 20 days a year [1].", "You get 16 weeks [1].")
    vllm = FakeOpenAI()
    vllm.script("You get 20 days a year [1].", "You get 16 weeks of leave [1].")

    with serve(vllm) as server:
        result = _eval(
            [
                *("--data", str(_held_out(tmp_path)), "--model", HOSTED, "--against", LOCAL),
                *("--against-base-url", f"{server.url}/v1"),
            ],
            _env(tmp_path, base_url),
        )

    assert result.exit_code == 0, result.output
    assert {r["model"] for r in hosted_api.chat_requests()} == {HOSTED}
    assert {r["model"] for r in vllm.chat_requests()} == {LOCAL}
    assert "both models phrased the same drafts" in result.stdout
    assert "Fact guard" in result.stdout
    assert "2/2 (100%)" in result.stdout


def test_a_context_example_is_drafted_once_by_the_chat_model_for_both(
    tmp_path: Path, fake_openai: tuple[FakeOpenAI, str]
) -> None:
    fake, base_url = fake_openai
    direct = [
        {"role": "system", "content": ANSWER_SYSTEM},
        {"role": "user", "content": "[1] Hotels: up to $250 a night.\n\nQuestion: Hotel limit?"},
        {"role": "assistant", "content": "Up to $250 a night [1]."},
    ]
    path = tmp_path / "validation.jsonl"
    path.write_text(json.dumps({"messages": direct}) + "\n")
    fake.script("The nightly hotel limit is $250 [1].", "Up to $250 [1].", "Up to $250 [1].")

    result = _eval(
        ["--data", str(path), "--model", HOSTED, "--against", LOCAL, "--json"],
        _env(tmp_path, base_url),
    )

    assert result.exit_code == 0, result.output
    assert [r["model"] for r in fake.chat_requests()] == ["gpt-4o-mini", HOSTED, LOCAL]
    assert [m["passed"] for m in json.loads(result.stdout)["models"]] == [1, 1]


def test_phrasings_that_break_the_house_style_are_counted(
    tmp_path: Path, fake_openai: tuple[FakeOpenAI, str]
) -> None:
    fake, base_url = fake_openai
    fake.script("You get 20 days of PTO a year [1]. I hope this helps!", "You get 16 weeks [1].")
    style = "glossary:\n  time off: [PTO]\nbanned: [I hope this helps]\ngreeting: 'Hi {name}!'\n"

    result = _eval(
        ["--data", str(_held_out(tmp_path)), "--model", LOCAL, "--json"],
        _env(tmp_path, base_url, style),
    )

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["passed"], report["style_kept"]) == (2, 1)  # the greeting is not asked of it
