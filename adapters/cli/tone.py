"""`deskmate tone ...`: build the tone model's training data, fine-tune it, follow it, score it.

dataset -> train -> status -> (set DESKMATE_TONE_MODEL) -> eval. Errors end here: one line on
stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from adapters.cli.tone_eval_view import comparison_json, eval_json, print_comparison, print_eval
from adapters.cli.tone_local import status_local, train_local
from adapters.logs import configure_logging
from adapters.runtime import open_runtime
from adapters.settings import AppSettings
from bot.errors import DeskmateError
from bot.llm import ChatModel
from bot.store.feedback import Feedback
from bot.tone.phraser import Phraser
from bot.tone.style import HouseStyle
from training.tone.dataset import Dataset, build_dataset, export_liked, read_edits, write_dataset
from training.tone.evaluation import EvalReport, prepare, score
from training.tone.finetune import DEFAULT_BASE_MODEL, FineTuner, Job
from training.tone.local.manifest import Hyperparameters
from training.tone.validation import (
    DEFAULT_MAX_TOKENS,
    ESTIMATE_NOTE,
    MIN_EXAMPLES,
    Messages,
    Problem,
    check_file,
    token_report,
)

tone_app = typer.Typer(
    help="The tone model: training data, fine-tuning, status and evaluation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")

SHIPPED_EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "tone" / "examples.jsonl"
CURATED = Path("tone/examples.jsonl")
DATA = Path("tone/dataset")
ADAPTER = Path("tone/adapter")
LOCAL = Hyperparameters()

JsonOption = Annotated[bool, typer.Option("--json", help="Print as JSON")]


@tone_app.command()
def dataset(
    examples: Annotated[
        Path | None, typer.Option(help="Curated examples (default: tone/examples.jsonl)")
    ] = None,
    edits: Annotated[Path | None, typer.Option(help="Admin edits of 👍 answers")] = None,
    feedback: Annotated[bool, typer.Option(help="Include answers rated 👍")] = True,
    out: Annotated[Path, typer.Option(help="Folder for train/validation.jsonl")] = DATA,
    validation: Annotated[float, typer.Option(min=0.0, max=0.5, help="Held-out share")] = 0.2,
    epochs: Annotated[int | None, typer.Option(min=1, max=50, help="For the cost")] = None,
    max_tokens: Annotated[int, typer.Option(min=256, help="Limit per example")] = (
        DEFAULT_MAX_TOKENS
    ),
    seed: Annotated[int, typer.Option(help="Seed of the train/validation split")] = 7,
    export_liked_to: Annotated[
        Path | None,
        typer.Option("--export-liked", help="Only write the 👍 answers here, for editing"),
    ] = None,
) -> None:
    """Build chat fine-tuning JSONL from curated examples and 👍 answers, and check it."""
    settings = _settings()
    liked = _run(_liked(settings)) if feedback or export_liked_to else []
    if export_liked_to:
        count = export_liked(liked, export_liked_to)
        console.print(f"Wrote {count} 👍 answers to {escape(str(export_liked_to))}.")
        console.print(f"Edit or drop them, then: deskmate tone dataset --edits {export_liked_to}")
        return
    curated = examples or (CURATED if CURATED.exists() else SHIPPED_EXAMPLES)
    if not curated.exists():
        _fail(f"no curated examples at {curated}; see docs/tone.md for the format")
    changes, problems = read_edits(edits) if edits else ({}, [])
    built = build_dataset(
        curated, liked, changes, validation_fraction=validation, seed=seed, max_tokens=max_tokens
    )
    _print_dataset(built, curated, len(changes), epochs, max_tokens)
    if problems or not built.ok:
        _print_problems([*problems, *built.errors])
        _fail(f"{len(problems) + len(built.errors)} problem(s) in the data; nothing written")
    train, held_out = write_dataset(built, out)
    written = f"{train}" + (f" and {held_out}" if held_out else "")
    console.print(f"Wrote {escape(written)}")
    console.print(f"Next: deskmate tone train --data {out}")


@tone_app.command()
def train(
    data: Annotated[Path, typer.Option(help="Folder with train/validation.jsonl")] = DATA,
    base: Annotated[str, typer.Option(help="Model to fine-tune")] = DEFAULT_BASE_MODEL,
    epochs: Annotated[int | None, typer.Option(min=1, max=50, help="Default: auto")] = None,
    suffix: Annotated[str | None, typer.Option(help="Added to the model id")] = None,
    max_tokens: Annotated[int, typer.Option(min=256)] = DEFAULT_MAX_TOKENS,
    as_json: JsonOption = False,
    local: Annotated[
        bool, typer.Option("--local", help="LoRA on your own hardware; see docs/tone.md")
    ] = False,
    base_model: Annotated[
        Path | None, typer.Option(help="--local: folder of a chat model (never downloaded)")
    ] = None,
    output: Annotated[Path, typer.Option(help="--local: folder for the adapter")] = ADAPTER,
    lora_rank: Annotated[int, typer.Option(min=1, max=256, help="--local")] = LOCAL.lora_rank,
    lora_alpha: Annotated[int, typer.Option(min=1, help="--local")] = LOCAL.lora_alpha,
    lora_dropout: Annotated[float, typer.Option(min=0, max=0.9, help="--local")] = (
        LOCAL.lora_dropout
    ),
    target_modules: Annotated[
        str, typer.Option(help="--local: all-linear, or names such as q_proj,v_proj")
    ] = LOCAL.target_modules,
    learning_rate: Annotated[float, typer.Option(min=0, help="--local")] = LOCAL.learning_rate,
    batch_size: Annotated[int, typer.Option(min=1, help="--local")] = LOCAL.batch_size,
    max_length: Annotated[
        int, typer.Option(min=16, help="--local: tokens per example")
    ] = LOCAL.max_length,
    seed: Annotated[int, typer.Option(help="--local: initial weights, data order")] = LOCAL.seed,
    checkpoint_every: Annotated[int, typer.Option(min=1, help="--local: steps")] = 50,
    device: Annotated[str | None, typer.Option(help="--local: cpu, cuda (default: auto)")] = None,
    restart: Annotated[
        bool, typer.Option("--restart", help="--local: ignore checkpoints, train again")
    ] = False,
) -> None:
    """Fine-tune the tone model: a hosted job (default), or LoRA locally with --local."""
    if local:
        if base_model is None:
            _fail("--local needs --base-model DIR, a local folder holding a chat model")
        hyperparameters = Hyperparameters(
            epochs=epochs or LOCAL.epochs,
            lora_rank=lora_rank,
            lora_alpha=lora_alpha,
            lora_dropout=lora_dropout,
            learning_rate=learning_rate,
            batch_size=batch_size,
            max_length=max_length,
            seed=seed,
            target_modules=target_modules,
        )
        train_local(
            base_model,
            data,
            output,
            hyperparameters,
            checkpoint_every=checkpoint_every,
            device=device,
            restart=restart,
            as_json=as_json,
        )
        return
    if base_model is not None:
        _fail("--base-model is for --local training; a hosted job takes --base MODEL")
    _train_hosted(data, base, epochs, suffix, max_tokens, as_json)


def _train_hosted(
    data: Path, base: str, epochs: int | None, suffix: str | None, max_tokens: int, as_json: bool
) -> None:
    """Check and upload the dataset, start a fine-tuning job and print its id."""
    settings = _settings()
    files = [data / "train.jsonl", data / "validation.jsonl"]
    if not files[0].exists():
        _fail(f"no {files[0]}; run `deskmate tone dataset` first")
    checked = [check_file(path, max_tokens) for path in files if path.exists()]
    problems = [p for c in checked for p in c.problems]
    if len(checked[0].examples) < MIN_EXAMPLES and not problems:
        problems.append(
            Problem(files[0].name, f"{len(checked[0].examples)} examples; at least 10 needed")
        )
    if problems:
        _print_problems(problems)
        _fail(f"{len(problems)} problem(s) in {data}; nothing uploaded")
    tuner = _guarded(lambda: FineTuner(settings.models))

    async def start() -> Job:
        uploaded = [await tuner.upload(c.path) for c in checked]
        for c, f in zip(checked, uploaded, strict=True):
            if not as_json:
                console.print(f"Uploaded {c.path.name}: {f.id} ({len(c.examples)} examples)")
        validation_id = uploaded[1].id if len(uploaded) > 1 else None
        return await tuner.start(
            uploaded[0].id, validation_id, base_model=base, epochs=epochs, suffix=suffix
        )

    job = _run(_closing(tuner, start()))
    if as_json:
        typer.echo(json.dumps({"job_id": job.id, "status": job.status, "model": base}))
        return
    console.print(f"Started fine-tuning job [bold]{job.id}[/] on {escape(base)} ({job.status})")
    console.print(f"Follow it with: deskmate tone status {job.id}")


@tone_app.command()
def status(
    job_id: Annotated[str | None, typer.Argument(help="Default: the most recent job")] = None,
    as_json: JsonOption = False,
    local: Annotated[
        Path | None, typer.Option("--local", help="The --output folder of a local run")
    ] = None,
) -> None:
    """A fine-tuning job's state, trained tokens and events; or a local run's (--local DIR)."""
    if local is not None:
        status_local(local, as_json)
        return
    settings = _settings()
    tuner = _guarded(lambda: FineTuner(settings.models))
    job = _run(_closing(tuner, tuner.status(job_id)))
    if as_json:
        typer.echo(json.dumps(_job_json(job)))
    else:
        _print_job(job)
    if job.status in ("failed", "cancelled"):
        _fail(f"job {job.id} {job.status}" + (f": {job.error}" if job.error else ""))


@tone_app.command(name="eval")
def evaluate_command(
    data: Annotated[Path, typer.Option(help="Held-out examples")] = DATA / "validation.jsonl",
    model: Annotated[str | None, typer.Option(help="Default: DESKMATE_TONE_MODEL")] = None,
    against: Annotated[
        str | None, typer.Option(help="A second tone model, compared side by side")
    ] = None,
    against_base_url: Annotated[
        str | None, typer.Option(help="The second model's endpoint (default: OPENAI_BASE_URL)")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Held-out examples through draft -> phrase: fact-guard passes, length change, style kept."""
    settings = _settings()
    tone_model = model or settings.models.tone_model
    if not tone_model:
        _fail("no tone model to evaluate; pass --model or set DESKMATE_TONE_MODEL")
    models = [(tone_model, _phraser(settings, tone_model, None))]
    if against:
        models.append((against, _phraser(settings, against, against_base_url)))
    if not data.exists():
        _fail(f"no {data}; run `deskmate tone dataset` first")
    checked = check_file(data)
    if checked.problems:
        _print_problems(list(checked.problems))
        _fail(f"{len(checked.problems)} problem(s) in {data}")
    examples = [(f"{data.name}:{n}", m) for n, m in enumerate(checked.examples, start=1)]
    style = _guarded(lambda: HouseStyle.load(settings.models.tone_file))
    reports = _run(_evaluate_all(examples, models, ChatModel(settings.models), style))
    if as_json:
        shown = comparison_json(reports) if against else eval_json(reports[0][1], tone_model)
        typer.echo(json.dumps(shown))
    elif against:
        print_comparison(console, reports)
    else:
        print_eval(console, reports[0][1], tone_model)


def _phraser(settings: AppSettings, model: str, base_url: str | None) -> Phraser:
    update: dict[str, Any] = {"tone_model": model, "tone_mode": "rewrite"}
    if base_url:
        update["openai_base_url"] = base_url
    phraser = _guarded(lambda: Phraser.from_settings(settings.replace(**update).models))
    if phraser is None:
        _fail("no tone model to evaluate; pass --model or set DESKMATE_TONE_MODEL")
    return phraser


async def _evaluate_all(
    examples: Sequence[tuple[str, Messages]],
    models: Sequence[tuple[str, Phraser]],
    drafter: ChatModel,
    style: HouseStyle,
) -> list[tuple[str, EvalReport]]:
    """Each model's report over the same drafts (the chat model drafts each example once)."""
    drafts, skipped = await prepare(examples, drafter)
    return [(name, await score(drafts, skipped, phraser, style)) for name, phraser in models]


def _settings(**overrides: Any) -> AppSettings:
    try:
        settings = AppSettings(**overrides)
    except Exception as exc:
        _fail(f"invalid configuration: {exc}", code=2)
    configure_logging(settings.serve, quiet=True)
    return settings


def _run(job: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(job)
    except DeskmateError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


async def _closing(tuner: FineTuner, work: Coroutine[Any, Any, T]) -> T:
    try:
        return await work
    finally:
        await tuner.aclose()


def _guarded(make: Callable[[], T]) -> T:
    try:
        return make()
    except DeskmateError as exc:
        _fail(str(exc))


def _fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[red]error:[/] {escape(message)}")
    raise typer.Exit(code)


async def _liked(settings: AppSettings) -> list[Feedback]:
    async with open_runtime(settings) as runtime:
        return await runtime.store.feedback.liked()


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        err.print(f"  [red]✗[/] {escape(str(problem))}")


def _print_dataset(
    built: Dataset, curated: Path, edits: int, epochs: int | None, max_tokens: int
) -> None:
    tokens = token_report([e.messages for e in built.train], epochs, max_tokens)
    console.print(
        f"Examples: {built.curated} curated ({escape(str(curated))}), "
        f"{built.liked} from 👍 answers ({edits} admin edits)"
    )
    console.print(
        f"Cleaned: {built.duplicates} duplicates dropped, "
        f"{built.scrubbed} e-mail addresses / phone numbers scrubbed"
    )
    console.print(f"Split: {len(built.train)} training, {len(built.validation)} validation")
    console.print(
        f"Tokens per training example: {tokens.smallest:,}-{tokens.largest:,}, "
        f"mean {tokens.mean:,.0f} (limit {tokens.limit:,}; {tokens.over_limit} over)"
    )
    console.print(
        f"Estimated billed tokens: {tokens.billed_tokens:,} ({tokens.epochs} epochs"
        f"{'' if epochs else ', OpenAI default for this size'})"
    )
    console.print(f"[dim]Note: {escape(ESTIMATE_NOTE)}[/]")
    for warning in built.warnings:
        console.print(f"  [yellow]![/] {escape(str(warning))}")


def _job_json(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "status": job.status,
        "base_model": job.base_model,
        "fine_tuned_model": job.fine_tuned_model,
        "trained_tokens": job.trained_tokens,
        "error": job.error,
        "events": [
            {"at": e.at.isoformat(), "level": e.level, "message": e.message} for e in job.events
        ],
    }


def _print_job(job: Job) -> None:
    console.print(f"Job [bold]{job.id}[/]: {job.status} (base model {escape(job.base_model)})")
    if job.trained_tokens is not None:
        console.print(f"Trained tokens: {job.trained_tokens:,}")
    for event in job.events:
        console.print(f"  {event.at:%Y-%m-%d %H:%M:%S} {event.level:<5} {escape(event.message)}")
    if job.fine_tuned_model:
        console.print(f"Fine-tuned model: [bold]{escape(job.fine_tuned_model)}[/]")
        console.print(f"Use it: DESKMATE_TONE_MODEL={escape(job.fine_tuned_model)}")
    elif not job.done:
        console.print(f"Still {job.status}; check again with: deskmate tone status {job.id}")
