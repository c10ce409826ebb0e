"""A plugin instance's lifecycle: its states, the events that move it, and the table of legal transitions.

    queued -> installing -> starting -> running -> stopped | failed

Events come from the cluster (the task's facts, its environment build, its job's end) and from the gateway (the
plugin process registered, its API is ready, a kill). An event that is not legal in the current state is ignored:
an ended instance keeps its state and its reason whatever arrives late.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from imjoy_hpc.cluster import (ClusterEvent, Installed, Installing, StatusChanged, SubmitFailed, TaskState,
                               WalltimeWarning, WorkerLost)


class State(str, Enum):
    """What users see of a plugin instance (the values are the words of list_instances and onPluginStatus)."""

    QUEUED = "queued"
    INSTALLING = "installing"
    STARTING = "starting"
    RUNNING = "running"
    STOPPED = "stopped"
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @property
    def active(self) -> bool:
        return self not in (State.STOPPED, State.FAILED)


ACTIVE = tuple(s for s in State if s.active)


# ---------------------------------------------------------------------------------------------------- events
@dataclass(frozen=True)
class Waiting:
    """New facts about the plugin's job (id, scheduler state, pending reason, node) while it waits."""

    job: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Placed:
    """The plugin's task has (or is about to get) its slot: the plugin process starts."""

    job: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Registered:
    """The plugin process connected back with its one-time secret."""

    job: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Ready:
    """The plugin exported its API and its setup() returned."""

    api: Any


@dataclass(frozen=True)
class Stopped:
    """The plugin ended without failing (killed by request, its client left, its process exited cleanly)."""

    reason: str | None = None   # why it was stopped, e.g. "killed by request"
    error: str | None = None    # what went wrong meanwhile, if anything
    job: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Failed:
    """The plugin failed: its process, its environment, its job or its start."""

    error: str
    job: dict[str, Any] = field(default_factory=dict)


Event = Waiting | Placed | Installing | Installed | Registered | Ready | WalltimeWarning | Stopped | Failed

_ENDS = {Stopped: State.STOPPED, Failed: State.FAILED}
# state -> {event type: next state}. Events missing from a state's row are ignored there.
TRANSITIONS: dict[State, dict[type, State]] = {
    State.QUEUED: {Waiting: State.QUEUED, Placed: State.STARTING, Installing: State.INSTALLING,
                   Registered: State.STARTING, WalltimeWarning: State.QUEUED, **_ENDS},
    State.INSTALLING: {Waiting: State.INSTALLING, Placed: State.INSTALLING, Installing: State.INSTALLING,
                       Installed: State.STARTING, Registered: State.STARTING, WalltimeWarning: State.INSTALLING,
                       **_ENDS},
    State.STARTING: {Waiting: State.STARTING, Placed: State.STARTING, Installed: State.STARTING,
                     Registered: State.STARTING, Ready: State.RUNNING, WalltimeWarning: State.STARTING, **_ENDS},
    State.RUNNING: {WalltimeWarning: State.RUNNING, **_ENDS},
    State.STOPPED: {},
    State.FAILED: {},
}


def next_state(state: State, event: Event) -> State | None:
    """The state `event` leads to from `state`, or None when the event is not legal there."""
    return TRANSITIONS[state].get(type(event))


def ended_reason(state: State, event: Stopped | Failed) -> str:
    """The one line list_instances shows for why an instance ended."""
    text = event.error or (event.reason if isinstance(event, Stopped) else None) \
        or ("its process ended" if state == State.STOPPED else state.value)
    return (text.splitlines() or [""])[0]


def from_cluster(event: ClusterEvent, *, plugin: str, builds_environment: bool) -> Event | None:
    """The lifecycle event of the instance `plugin` for what the cluster reports about its task.

    A plugin that needs an environment is not `starting` when its task gets its slot: its task builds (or finds)
    the environment first, so it stays queued until it is installing or its process registers.
    """
    if isinstance(event, (Installing, Installed, WalltimeWarning)):
        return event
    if isinstance(event, StatusChanged):
        status = event.status
        job = {k: v for k, v in status.as_dict().items() if v is not None and v != [] and k != "state"}
        placed = status.state in (TaskState.STARTING, TaskState.RUNNING) and not builds_environment
        return Placed(job) if placed else Waiting(job)
    if isinstance(event, WorkerLost):
        parts = [f"the job {event.job_id} running plugin {plugin!r} ended"]
        if event.scheduler_state:
            parts.append(f"state {event.scheduler_state}")
        if event.reason:
            parts.append(str(event.reason))
        if event.exit_code is not None:
            parts.append(f"exit code {event.exit_code}")
        text = ", ".join(parts)
        if event.stderr_tail:
            text += f"\n--- job stderr ---\n{event.stderr_tail}"
        return Failed(text, job={"scheduler_state": event.scheduler_state})
    if isinstance(event, SubmitFailed):
        return Failed(f"the scheduler refused the job for plugin {plugin!r}: {event.reason}")
    return None
