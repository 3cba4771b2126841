"""Fine-tuning jobs through the official `openai` client, against OpenAI or any compatible API.

Upload the training files (`purpose="fine-tune"`), start a supervised job, and read its state
and events back, as typed records; the API's errors become messages that say what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import ConfigError, DeskmateError
from bot.settings import ModelSettings

if TYPE_CHECKING:  # the client is imported when a job is made: `deskmate` starts faster
    import openai
    from openai import AsyncOpenAI

DEFAULT_BASE_MODEL = "gpt-4o-mini-2024-07-18"
FILE_TIMEOUT = 300.0
DONE = frozenset({"succeeded", "failed", "cancelled"})


class FineTuneError(DeskmateError):
    """The fine-tuning API refused a request, or a job did not succeed."""


@dataclass(frozen=True)
class UploadedFile:
    id: str
    filename: str
    bytes: int


@dataclass(frozen=True)
class JobEvent:
    at: datetime
    level: str
    message: str


@dataclass(frozen=True)
class Job:
    id: str
    status: str
    base_model: str
    fine_tuned_model: str | None
    trained_tokens: int | None
    training_file: str
    validation_file: str | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    events: tuple[JobEvent, ...] = ()

    @property
    def done(self) -> bool:
        return self.status in DONE


class FineTuner:
    """The few fine-tuning calls Deskmate makes."""

    def __init__(self, settings: ModelSettings, client: AsyncOpenAI | None = None) -> None:
        from openai import AsyncOpenAI

        if client is None and not settings.llm_configured:
            raise ConfigError(
                "OPENAI_API_KEY is not set; set it (and OPENAI_BASE_URL for an "
                "OpenAI-compatible server) to fine-tune the tone model"
            )
        key = settings.openai_api_key
        self._owns_client = client is None
        self._client = client or AsyncOpenAI(
            api_key=key.get_secret_value() if key else None,
            base_url=settings.openai_base_url,
            timeout=max(settings.llm_timeout, FILE_TIMEOUT),
            max_retries=settings.llm_retries,
        )

    async def aclose(self) -> None:
        """Close the HTTP client it made, in the event loop it ran in (left open, its
        connections are closed by the garbage collector in whatever loop runs then)."""
        if self._owns_client:
            await self._client.close()

    async def upload(self, path: Path) -> UploadedFile:
        import openai

        try:
            with path.open("rb") as data:
                uploaded = await self._client.files.create(
                    file=(path.name, data), purpose="fine-tune"
                )
        except openai.APIStatusError as exc:
            raise FineTuneError(f"{path.name} was rejected: {_message(exc)}") from exc
        except openai.APIConnectionError as exc:
            raise _unreachable(exc) from exc
        return UploadedFile(uploaded.id, uploaded.filename, uploaded.bytes)

    async def start(
        self,
        training_file: str,
        validation_file: str | None = None,
        *,
        base_model: str = DEFAULT_BASE_MODEL,
        epochs: int | None = None,
        suffix: str | None = None,
    ) -> Job:
        """Create a supervised fine-tuning job over uploaded files."""
        import openai

        method: Any = {"type": "supervised"}
        if epochs:
            method["supervised"] = {"hyperparameters": {"n_epochs": epochs}}
        optional: dict[str, Any] = {"validation_file": validation_file, "suffix": suffix}
        try:
            job = await self._client.fine_tuning.jobs.create(
                model=base_model,
                training_file=training_file,
                method=method,
                **{k: v for k, v in optional.items() if v},
            )
        except openai.APIStatusError as exc:
            raise FineTuneError(f"the fine-tuning job was refused: {_message(exc)}") from exc
        except openai.APIConnectionError as exc:
            raise _unreachable(exc) from exc
        return _job(job)

    async def status(self, job_id: str | None = None, events: int = 20) -> Job:
        import openai

        """A job (the most recent one when no id is given) with its latest events, oldest first."""
        try:
            if job_id is None:
                page = await self._client.fine_tuning.jobs.list(limit=1)
                if not page.data:
                    raise FineTuneError("there are no fine-tuning jobs yet; start one first")
                job_id = page.data[0].id
            job = await self._client.fine_tuning.jobs.retrieve(job_id)
            listed = await self._client.fine_tuning.jobs.list_events(job_id, limit=events)
        except openai.NotFoundError as exc:
            raise FineTuneError(f"no fine-tuning job {job_id!r}: {_message(exc)}") from exc
        except openai.APIStatusError as exc:
            raise FineTuneError(f"cannot read job {job_id!r}: {_message(exc)}") from exc
        except openai.APIConnectionError as exc:
            raise _unreachable(exc) from exc
        history = [JobEvent(_time(e.created_at), e.level, e.message) for e in listed.data]
        return _job(job, tuple(reversed(history)))  # the API lists newest first


def _job(job: Any, events: tuple[JobEvent, ...] = ()) -> Job:
    error = None
    if job.error is not None and (job.error.message or job.error.code):
        error = f"{job.error.code}: {job.error.message}" if job.error.code else job.error.message
    return Job(
        id=job.id,
        status=job.status,
        base_model=job.model,
        fine_tuned_model=job.fine_tuned_model,
        trained_tokens=job.trained_tokens,
        training_file=job.training_file,
        validation_file=job.validation_file,
        error=error,
        created_at=_time(job.created_at),
        finished_at=_time(job.finished_at) if job.finished_at else None,
        events=events,
    )


def _time(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        detail = body.get("error", body)
        if isinstance(detail, dict) and detail.get("message"):
            return f"{detail['message']} (HTTP {exc.status_code})"
    return f"{exc.message} (HTTP {exc.status_code})"


def _unreachable(exc: openai.APIConnectionError) -> FineTuneError:
    return FineTuneError(
        f"cannot reach the fine-tuning API ({type(exc).__name__}); check OPENAI_BASE_URL"
    )
