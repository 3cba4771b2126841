"""Fine-tuning routes for the fake OpenAI server: file uploads, jobs and their events.

`FakeFineTuning().install(fake)` before serving adds `/v1/files`, `/v1/fine_tuning/jobs`,
`/v1/fine_tuning/jobs/{id}` and `/v1/fine_tuning/jobs/{id}/events`. A job moves one step each
time it is retrieved: validating_files -> running -> succeeded, with a `fine_tuned_model` id
in OpenAI's format, or -> failed when `fail_jobs` is set. `reject_uploads` refuses every file.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.openai_server import FakeOpenAI

STEPS = ("validating_files", "running", "succeeded")


@dataclass
class FakeFineTuning:
    organization: str = "halyard"
    reject_uploads: str | None = None
    fail_jobs: tuple[str, str] | None = None
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _fake: FakeOpenAI | None = None
    _clock: int = field(default_factory=lambda: int(time.time()))

    def install(self, fake: FakeOpenAI) -> FakeFineTuning:
        self._fake = fake
        fake.extra_routes.extend(
            [
                web.post("/v1/files", self._upload),
                web.post("/v1/fine_tuning/jobs", self._create),
                web.get("/v1/fine_tuning/jobs", self._list),
                web.get("/v1/fine_tuning/jobs/{job_id}", self._retrieve),
                web.get("/v1/fine_tuning/jobs/{job_id}/events", self._list_events),
            ]
        )
        return self

    def uploaded_lines(self, file_id: str) -> list[dict[str, Any]]:
        """The JSON lines of an uploaded file."""
        content = self.files[file_id]["content"].decode()
        return [json.loads(line) for line in content.splitlines() if line.strip()]

    def _record(self, request: web.Request, body: dict[str, Any]) -> None:
        assert self._fake is not None, "install() the fine-tuning routes first"
        auth = request.headers.get("Authorization")
        self._fake.requests.append({"path": request.path, "body": body, "auth": auth})

    def _tick(self) -> int:
        self._clock += 1
        return self._clock

    async def _upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        upload, purpose = form.get("file"), form.get("purpose")
        if not isinstance(upload, web.FileField):
            return _error(400, "'file' is a required multipart field", "file")
        content = upload.file.read()
        self._record(request, {"purpose": purpose, "filename": upload.filename})
        if self.reject_uploads:
            return _error(400, self.reject_uploads, "file")
        if purpose != "fine-tune":
            return _error(400, f"unsupported purpose {purpose!r}", "purpose")
        for number, line in enumerate(content.decode().splitlines(), start=1):
            if line.strip() and "messages" not in _json_or_empty(line):
                return _error(400, f"Invalid file format for fine-tuning: line {number}", "file")
        file_id = f"file-{uuid.uuid4().hex[:24]}"
        self.files[file_id] = {"filename": upload.filename, "content": content}
        return web.json_response(
            {
                "id": file_id,
                "object": "file",
                "bytes": len(content),
                "created_at": self._tick(),
                "filename": upload.filename,
                "purpose": "fine-tune",
                "status": "processed",
            }
        )

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        self._record(request, body)
        for key in ("training_file", "validation_file"):
            if body.get(key) and body[key] not in self.files:
                return _error(400, f"invalid {key}: {body[key]}", key)
        job_id = f"ftjob-{uuid.uuid4().hex[:24]}"
        epochs = (
            body.get("method", {}).get("supervised", {}).get("hyperparameters", {}).get("n_epochs")
        )
        self.jobs[job_id] = {
            "id": job_id,
            "object": "fine_tuning.job",
            "created_at": self._tick(),
            "error": None,
            "fine_tuned_model": None,
            "finished_at": None,
            "hyperparameters": {"n_epochs": epochs or "auto", "batch_size": "auto"},
            "model": body["model"],
            "organization_id": f"org-{self.organization}",
            "result_files": [],
            "seed": 42,
            "status": STEPS[0],
            "trained_tokens": None,
            "training_file": body["training_file"],
            "validation_file": body.get("validation_file"),
            "suffix": body.get("suffix"),
            "method": body.get("method", {"type": "supervised"}),
        }
        self.events[job_id] = []
        self._event(job_id, f"Validating training file: {body['training_file']}")
        return web.json_response(self.jobs[job_id])

    async def _retrieve(self, request: web.Request) -> web.Response:
        job = self.jobs.get(request.match_info["job_id"])
        self._record(request, {})
        if job is None:
            return _error(404, f"Could not find fine-tuning job {request.match_info['job_id']}")
        if job["status"] in ("validating_files", "running"):
            self._advance(job)
        return web.json_response(job)

    async def _list(self, request: web.Request) -> web.Response:
        self._record(request, dict(request.query))
        newest = sorted(self.jobs.values(), key=lambda j: j["created_at"], reverse=True)
        limit = int(request.query.get("limit", 20))
        return web.json_response({"object": "list", "data": newest[:limit], "has_more": False})

    async def _list_events(self, request: web.Request) -> web.Response:
        job_id = request.match_info["job_id"]
        self._record(request, dict(request.query))
        if job_id not in self.events:
            return _error(404, f"Could not find fine-tuning job {job_id}")
        limit = int(request.query.get("limit", 20))
        newest = list(reversed(self.events[job_id]))[:limit]
        return web.json_response({"object": "list", "data": newest, "has_more": False})

    def _advance(self, job: dict[str, Any]) -> None:
        if job["status"] == "validating_files":
            job["status"] = "running"
            self._event(job["id"], "Fine-tuning job started")
        elif self.fail_jobs:
            code, message = self.fail_jobs
            job.update(status="failed", error={"code": code, "message": message, "param": None})
            job["finished_at"] = self._tick()
            self._event(job["id"], f"Fine-tuning job failed: {message}", "error")
        else:
            lines = self.files[job["training_file"]]["content"].decode().splitlines()
            epochs = job["hyperparameters"]["n_epochs"]
            model = f"ft:{job['model']}:{self.organization}:{job['suffix'] or ''}:{job['id'][-8:]}"
            job.update(status="succeeded", fine_tuned_model=model, finished_at=self._tick())
            job["trained_tokens"] = 100 * len(lines) * (epochs if isinstance(epochs, int) else 3)
            self._event(job["id"], f"New fine-tuned model created: {model}")
            self._event(job["id"], "The job has successfully completed")

    def _event(self, job_id: str, message: str, level: str = "info") -> None:
        self.events[job_id].append(
            {
                "id": f"ftevent-{uuid.uuid4().hex[:16]}",
                "object": "fine_tuning.job.event",
                "created_at": self._tick(),
                "level": level,
                "message": message,
                "type": "message",
            }
        )


def _json_or_empty(line: str) -> dict[str, Any]:
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def _error(status: int, message: str, param: str | None = None) -> web.Response:
    error = {"message": message, "type": "invalid_request_error", "param": param, "code": None}
    return web.json_response({"error": error}, status=status)
