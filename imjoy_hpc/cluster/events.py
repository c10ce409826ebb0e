"""What the cluster layer tells about a plugin's task: its state, a snapshot of its job facts, and typed events.

(The module name starts with "_" because every public module of imjoy_hpc/cluster is taken for a backend.)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from enum import Enum
from typing import Any, ClassVar


class TaskState(str, Enum):
    """Where a plugin's long-running task is; `starting` only in status reports (its job runs, a slot is free)."""

    QUEUED = "queued"
    STARTING = "starting"
    RUNNING = "running"
    ENDED = "ended"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


@dataclass(frozen=True)
class TaskStatus:
    """The facts about one plugin task: its state, its job and the scheduler's words."""

    state: TaskState
    job_id: str | None
    scheduler_state: str | None
    reason: str | None
    node: str | None
    worker: str | None
    walltime_left: int | None
    profile: str
    predicted_start: float | None = None   # pending: when the scheduler predicts its job starts (epoch seconds)
    start_note: str | None = None          # pending: why there is no prediction, in words
    sooner: tuple = ()                     # pending: smaller requests predicted to start sooner (load options)

    def as_dict(self) -> dict[str, Any]:
        """As ClusterManager.status() reports it (state as its plain word)."""
        return {**asdict(self), "state": self.state.value, "sooner": [dict(s) for s in self.sooner]}


@dataclass(frozen=True)
class ClusterEvent:
    """Something that happened to the task of plugin `key`. Readable as a mapping too (`event["type"]`)."""

    key: str
    type: ClassVar[str] = "event"

    def __getitem__(self, name: str) -> Any:
        if name == "type":
            return self.type
        if name not in {f.name for f in fields(self)}:
            raise KeyError(name)
        return getattr(self, name)

    def get(self, name: str, default: Any = None) -> Any:
        try:
            return self[name]
        except KeyError:
            return default

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, **asdict(self)}


@dataclass(frozen=True)
class StatusChanged(ClusterEvent):
    """The task's facts changed (placed, started, its job's state or pending reason...)."""

    status: TaskStatus
    type: ClassVar[str] = "status"


@dataclass(frozen=True)
class Installing(ClusterEvent):
    """The task builds the plugin's environment; `text` says what it does now."""

    text: str
    type: ClassVar[str] = "installing"


@dataclass(frozen=True)
class Warned(ClusterEvent):
    """Something odd about the plugin that did not stop it (a field ImJoy accepted, a requirement left out...)."""

    text: str
    type: ClassVar[str] = "warning"


@dataclass(frozen=True)
class Usage(ClusterEvent):
    """What the plugin's process tree uses now: cores busy, resident memory (and GPUs where sampled)."""

    sample: dict
    type: ClassVar[str] = "usage"


@dataclass(frozen=True)
class Installed(ClusterEvent):
    """The plugin's environment is built."""

    type: ClassVar[str] = "installed"


@dataclass(frozen=True)
class WalltimeWarning(ClusterEvent):
    """The task's job reaches its walltime in `seconds_left`."""

    job_id: str | None
    profile: str
    seconds_left: int
    type: ClassVar[str] = "walltime-warning"


@dataclass(frozen=True)
class WorkerLost(ClusterEvent):
    """The worker (its job) running or awaiting the task ended without being released: the task is lost."""

    job_id: str | None
    profile: str
    worker: str | None
    scheduler_state: str | None
    reason: str
    exit_code: str | None
    stderr_tail: str
    type: ClassVar[str] = "worker-lost"


@dataclass(frozen=True)
class SubmitFailed(ClusterEvent):
    """The scheduler refused the job the task waited for."""

    job_id: str | None
    profile: str
    reason: str
    type: ClassVar[str] = "submit-failed"


@dataclass(frozen=True)
class JobAccounted(ClusterEvent):
    """The scheduler's own figures for a job that ended (its `accounting`, or why it keeps none); `key` is empty:
    the job may have run several plugins."""

    job_id: str
    figures: dict
    type: ClassVar[str] = "job-accounting"


def progress_event(key: str, message: dict) -> ClusterEvent | None:
    """The event a running task sent through its TaskLink (tasks.TaskLink.emit), or None if it is not one."""
    kind = message.get("type")
    if kind == Installing.type:
        return Installing(key, text=str(message.get("text") or "installing"))
    if kind == Installed.type:
        return Installed(key)
    if kind == Warned.type:
        return Warned(key, text=str(message.get("text") or "warning"))
    if kind == Usage.type:
        return Usage(key, sample={k: v for k, v in message.items() if k not in ("key", "type", "worker")})
    return None
