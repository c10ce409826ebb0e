"""When will a waiting plugin start? The scheduler's own prediction for its pending job (SLURM's start estimate or
`sbatch --test-only`, OpenPBS's `estimated.start_time`; Grid Engine has none and says so), and, when the wait is
long, smaller requests within the profile's limits (fewer cores or GPUs, less memory or walltime, another allowed
queue) with their own predicted starts, as load options the user can choose."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from dask.utils import format_bytes, parse_bytes

from imjoy_hpc.backends.base import StartPrediction
from imjoy_hpc.resources import format_walltime, parse_walltime

if TYPE_CHECKING:
    from imjoy_hpc.backends.base import Cluster, JobState
    from imjoy_hpc.cluster.profiles import Profile

REFRESH = 30.0       # seconds between predictions for one pending job (each is a scheduler command)
LONG_WAIT = 300.0    # a predicted wait longer than this: look for smaller requests that start sooner
SOONER_BY = 60.0     # an alternative is shown when it starts at least this much sooner
MIN_MEMORY = 512 * 2**20
MIN_WALLTIME = 600


def smaller_requests(profile: "Profile") -> list[tuple[str, dict[str, Any]]]:
    """Requests within the profile's limits that ask for less than it does: (what changes, load options)."""
    out: list[tuple[str, dict[str, Any]]] = []
    if profile.cores > 1:
        cores = max(1, profile.cores // 2)
        out.append((f"{cores} cores instead of {profile.cores}", {"cores": cores}))
    if profile.gpus > 1:
        gpus = profile.gpus // 2
        out.append((f"{gpus} GPUs instead of {profile.gpus}", {"gpus": gpus}))
    if profile.memory:
        half = parse_bytes(profile.memory) // 2
        if half >= MIN_MEMORY:
            text = format_bytes(half).replace(" ", "")
            out.append((f"{text} memory instead of {profile.memory}", {"memory": text}))
    if profile.walltime:
        half = parse_walltime(profile.walltime) // 2
        if half >= MIN_WALLTIME:
            out.append((f"walltime {format_walltime(half)} instead of {profile.walltime}",
                        {"walltime": format_walltime(half)}))
    for queue in profile.limits.allowed_queues or ():
        if queue != profile.queue:
            out.append((f"queue {queue} instead of {profile.queue or 'the default'}", {"queue": queue}))
    return out


class Predictor:
    """Predictions for one pool's pending jobs, refreshed at most every REFRESH seconds per job."""

    def __init__(self, backend: "Cluster", profile: "Profile") -> None:
        self.backend = backend
        self.profile = profile
        self.known: dict[str, dict[str, Any]] = {}
        self._asked: dict[str, float] = {}

    def forget(self, job_ids: set[str]) -> None:
        """Drop what is known of jobs no longer pending."""
        for jid in [j for j in self.known if j not in job_ids]:
            self.known.pop(jid, None)
            self._asked.pop(jid, None)

    async def refresh(self, job_id: str, state: "JobState") -> dict[str, Any]:
        """{"predicted_start", "start_note", "sooner": [...]} for a pending job (cached for REFRESH seconds)."""
        now = time.time()
        if job_id in self.known and now - self._asked.get(job_id, 0) < REFRESH:
            return self.known[job_id]
        self._asked[job_id] = now
        # The scheduler's own plan for this job (a new job's prediction would queue behind it)
        prediction = StartPrediction(state.predicted_start, None if state.predicted_start else self.backend.no_estimate)
        facts = await with_sooner(self.backend, self.profile, prediction)
        self.known[job_id] = facts
        return facts


async def with_sooner(backend: "Cluster", profile: "Profile", prediction: StartPrediction) -> dict[str, Any]:
    """{"predicted_start", "start_note", "sooner": [...]}: the prediction and, when it is a long wait, the smaller
    requests the scheduler predicts to start sooner."""
    facts: dict[str, Any] = {"predicted_start": prediction.at, "start_note": prediction.note, "sooner": []}
    if prediction.at is not None and prediction.at - time.time() > LONG_WAIT:
        for label, options in smaller_requests(profile):
            other = await backend.predict_start(options)
            if other.at is not None and other.at < prediction.at - SOONER_BY:
                facts["sooner"].append({"change": label, "options": options, "predicted_start": other.at})
    return facts


async def before_submitting(backend: "Cluster", profile: "Profile", free_slot: bool) -> dict[str, Any]:
    """When a plugin of this profile would start if loaded now, asked before anything is submitted: at once when a
    job (or, with no scheduler, the local cluster) has a free slot; else the scheduler's prediction for a new job
    of the profile (SLURM `sbatch --test-only`), with smaller requests predicted to start sooner."""
    if free_slot or not backend.has_jobs:
        where = "a running job of this profile has a free slot" if backend.has_jobs else "no scheduler: it runs here"
        return {"predicted_start": time.time(), "start_note": f"{where}: it starts at once", "sooner": []}
    return await with_sooner(backend, profile, await backend.predict_start({}))
