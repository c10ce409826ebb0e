"""The plugin editor with its plugin in a real SLURM job (scripts/ci/slurm.sh): edit -> save -> run in the job,
an error marked at its line, edit -> save reloads it (a new plugin process), as in tests/test_workspace_editor.py;
the jobs panel shows the plugin's SLURM job."""

from __future__ import annotations

import re

import pytest
from test_workspace import open_workspace
from test_workspace_editor import edit_save_run_cycle
from test_workspace_slurm import slurm_gateway  # noqa: F401 - the fixture

pytest_plugins = ["browser_support"]
pytestmark = [pytest.mark.browser, pytest.mark.slurm, pytest.mark.timeout(300)]


def test_editor_cycle_with_the_plugin_in_a_slurm_job(browser_page, slurm_gateway, tmp_path):  # noqa: F811
    page = browser_page
    open_workspace(page, slurm_gateway)
    edit_save_run_cycle(page, tmp_path, in_job=True)
    rows = page.evaluate("() => [...document.querySelectorAll('#jobs tr')].filter(r => r.querySelector('.name') && "
                         "r.querySelector('.name').textContent === 'Edited Plugin').map(r => r.dataset.state + ' ' + "
                         "r.querySelector('.job').textContent)")
    assert any(re.fullmatch(r"running job \d+", row) for row in rows), rows
