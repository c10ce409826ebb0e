"""The workspace page with plugins in real SLURM jobs: the jobs panel shows a plugin pending behind a full
partition with the scheduler's reason, then running on its node; the plugin draws an array computed inside the job
in a JS window; stopping it from the panel ends its job."""

from __future__ import annotations

from collections.abc import Iterator

import gateway_support
import pytest
from imjoy_plugins import WINDOW_PLUGIN, python_plugin
from slurm_support import job_state, require_slurm, sbatch_sleep, scancel, wait_for
from test_workspace import drive_windows_dialogs_plugins_and_prompts, load_source, open_workspace

pytest_plugins = ["browser_support"]
pytestmark = [pytest.mark.browser, pytest.mark.slurm, pytest.mark.timeout(300)]

SLURM_PROFILE = {"backend": "slurm", "queue": "debug", "cores": 1, "memory": "1GB", "interface": "lo",
                 "walltime": "00:10:00", "plugin-slots": 2, "max-jobs": 2, "idle-timeout": 5, "poll-interval": 0.5,
                 "limits": {"max-walltime": "01:00:00", "allowed-queues": ["debug", "tiny"]}}

IN_A_JOB = python_plugin("Job Painter", """
    job = int(os.environ["SLURM_JOB_ID"])
    window = await api.createWindow(type="Array Summer", name="from the job",
                                    data={"image": np.full((10, 10), job, dtype="int32")})
    return {"job": job, "sum": await window.getSum()}
""", description="Draws an array computed in its job", header="import os\nimport numpy as np", hpc={"queue": "tiny"})


@pytest.fixture(scope="module")
def slurm_gateway(tmp_path_factory) -> Iterator[gateway_support.RunningGateway]:
    require_slurm()
    gw = gateway_support.start_gateway(tmp_path_factory.mktemp("workspace-slurm"),
                                       {"default-profile": "slurm", "profiles": {"slurm": SLURM_PROFILE}})
    yield gw
    assert gw.stop() == 0, gw.log()[-3000:]


def row_text(page, name: str) -> str:
    return page.evaluate("(name) => { const r = [...document.querySelectorAll('#jobs tr')].find("
                         "r => r.querySelector('.name') && r.querySelector('.name').textContent === name); "
                         "return r ? r.dataset.state + '|' + r.textContent : ''; }", name)


def test_jobs_panel_follows_a_plugin_from_pending_to_running_to_stopped(browser_page, slurm_gateway):
    page = browser_page
    filler = sbatch_sleep("imjoy-hpc-test-filler", 120, partition="tiny")
    try:
        wait_for(lambda: job_state(filler) == "RUNNING", 30, what="the filler job")
        open_workspace(page, slurm_gateway)
        load_source(page, WINDOW_PLUGIN, "Array Summer")
        page.fill("#plugin-source", IN_A_JOB)
        page.click("#load-source")
        page.wait_for_function("() => [...document.querySelectorAll('#jobs tr')].some(r => r.dataset.state === "
                               "'queued' && /job \\d+/.test(r.textContent) && /pending: (Resources|Priority)/"
                               ".test(r.textContent))", timeout=60_000)
        queued = row_text(page, "Job Painter")
        assert "Job Painter" in queued and "pending: " in queued
        scancel(filler)
        page.wait_for_function("() => [...document.querySelectorAll('#jobs tr')].some(r => r.dataset.state === "
                               "'running' && r.textContent.includes('Job Painter') && / on \\S+/.test("
                               "' ' + r.querySelector('.where').textContent))", timeout=120_000)
        running = row_text(page, "Job Painter")
        job_id = running.split("job ", 1)[1].split()[0].strip("|")
        job_id = "".join(ch for ch in job_id if ch.isdigit())
        assert "min left" in running
        page.locator('#plugins li[data-name="Job Painter"]').wait_for(timeout=60_000)
        page.click('#plugins li[data-name="Job Painter"] button.run')
        page.wait_for_function("() => [...document.querySelectorAll('#messages li')].some("
                               "l => l.textContent.includes('Job Painter returned'))", timeout=120_000)
        message = page.evaluate("() => [...document.querySelectorAll('#messages li')].find("
                                "l => l.textContent.includes('Job Painter returned')).textContent")
        assert f'"job":{job_id}' in message and f'"sum":{int(job_id) * 100}' in message
        row = page.locator("#jobs tr", has_text="Job Painter").first
        row.locator("button.stop").click()
        page.wait_for_function("() => [...document.querySelectorAll('#jobs tr')].some(r => "
                               "r.textContent.includes('Job Painter') && r.dataset.state === 'stopped')",
                               timeout=60_000)
        assert "killed by request" in row_text(page, "Job Painter")
        # its job (idle once the plugin is stopped) ends after the profile's idle-timeout
        wait_for(lambda: job_state(job_id) in ("GONE", "COMPLETED", "CANCELLED", "COMPLETING"), 60,
                 what=f"job {job_id} to end")
    finally:
        scancel(filler)


def test_a_plugin_in_a_slurm_job_drives_windows_dialogs_plugins_and_prompts(browser_page, slurm_gateway):
    page = browser_page
    open_workspace(page, slurm_gateway)
    drive_windows_dialogs_plugins_and_prompts(page)
    row = page.locator("#jobs tr", has_text="Workspace Driver").first
    assert row.locator(".job").text_content().startswith("job "), "it ran in a SLURM job"
