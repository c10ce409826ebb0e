"""Schedulers' accounting of ended jobs, normalised (backends' `accounting`), from their own output: sacct's with
slurmdbd (the test SLURM has none: tests/test_batch_submit.py checks its words), OpenPBS's job history and Grid
Engine's qacct (real runs in tests/test_batch_openpbs.py and tests/test_batch_sge.py), and how `imjoy-hpc jobs`
prints them."""

from __future__ import annotations

import asyncio

from imjoy_hpc.backends.base import clock_seconds, memory_bytes
from imjoy_hpc.backends.local import LocalBatch
from imjoy_hpc.backends.pbs import job_accounting
from imjoy_hpc.backends.sge import SGEBatch, parse_blocks, qacct_accounting
from imjoy_hpc.backends.slurm import parse_sacct
from imjoy_hpc.commands.jobs import scheduler_line

# sacct -j 41 -P -n -o JobID,State,ElapsedRaw,TotalCPU,MaxRSS,AllocCPUS,NNodes (SLURM 22.05 with slurmdbd)
SACCT = """41|COMPLETED|125|03:10.512||4|1
41.batch|COMPLETED|125|03:10.500|1153434K|4|1
41.extern|COMPLETED|125|00:00.001|0|4|1
"""

# Son of Grid Engine 8.1.9's qacct -j (a real record, shortened)
QACCT = """==============================================================
qname        all.q
hostname     vm
jobnumber    7
taskid       undefined
granted_pe   smp
slots        2
failed       0
exit_status  0
ru_wallclock 21s
ru_utime     3.104s
ru_stime     0.512s
ru_maxrss    151.220KB
cpu          3.616s
maxvmem      1.105G
"""


def test_duration_and_memory_figures():
    assert [clock_seconds(t) for t in ("03:10.512", "1-02:03:04", "01:02:03", "21s", "bad")] == \
        [190.512, 93784.0, 3723.0, 21.0, None]
    assert memory_bytes("1153434K") == 1153434 * 1024 and memory_bytes("204800kb") == 204800 * 1024
    assert memory_bytes("1234", 1024) == 1234 * 1024 and memory_bytes("n/a") is None


def test_sacct_figures_of_an_ended_job_and_a_running_one():
    acct = parse_sacct("41", SACCT)
    assert acct == {"scheduler": "slurm", "job_id": "41", "source": "sacct", "state": "COMPLETED",
                    "elapsed": 125.0, "cpu_seconds": 190.512, "max_rss": 1153434 * 1024, "cores": 4, "nodes": 1,
                    "core_hours": round(4 * 125 / 3600, 4)}
    running = parse_sacct("42", "42|RUNNING|10|00:00:00||1|1\n")
    assert running["retry"] and running["note"] == "job 42 has not ended (RUNNING)"
    assert parse_sacct("43", "")["retry"]  # not recorded yet: asked again later, not kept


def test_openpbs_history_figures():
    job = {"Job Id": "12.pbshost", "job_state": "F", "Exit_status": "0", "resources_used.walltime": "00:00:21",
           "resources_used.cput": "00:00:03", "resources_used.mem": "153600kb", "resources_used.ncpus": "2",
           "Resource_List.ncpus": "2", "Resource_List.nodect": "1"}
    assert job_accounting("12.pbshost", job) == {
        "scheduler": "pbs", "job_id": "12.pbshost", "source": "qstat -x", "state": "COMPLETED", "elapsed": 21.0,
        "cpu_seconds": 3.0, "max_rss": 153600 * 1024, "cores": 2, "nodes": 1, "core_hours": round(42 / 3600, 4)}
    short = job_accounting("14.pbshost", {**job, "resources_used.cput": "00:00:00", "resources_used.mem": "0kb"})
    assert short["cpu_seconds"] == 0 and short["max_rss"] == 0 and "PBS counted no CPU time or memory" in short["note"]
    running = job_accounting("13.pbshost", {**job, "job_state": "R"})
    assert running["retry"] and "has not ended (RUNNING)" in running["note"]


def test_qacct_figures_and_array_task_ids():
    acct = qacct_accounting("7", parse_blocks(QACCT)[-1])
    assert acct == {"scheduler": "sge", "job_id": "7", "source": "qacct", "state": "COMPLETED", "elapsed": 21.0,
                    "cpu_seconds": 3.616, "max_rss": 151220 * 1024, "cores": 2, "nodes": 1,
                    "core_hours": round(42 / 3600, 4)}
    assert SGEBatch.accounting_id({"id": "7", "array_index": "2"}) == "7.2"
    assert SGEBatch.accounting_id({"id": "7", "array_index": None}) == "7"


def test_a_backend_without_accounting_says_so():
    assert asyncio.run(LocalBatch.accounting("1")) == {
        "scheduler": "local", "job_id": "1", "note": "local keeps no accounting imjoy-hpc reads"}


def test_jobs_prints_the_scheduler_beside_ours():
    line = scheduler_line({"scheduler": parse_sacct("41", SACCT)})
    assert line == ("SLURM (sacct): 125 s elapsed, 190.5 s CPU, 1.10 GiB at most, 4 cores on 1 node, "
                    "0.1389 core-h")
    note = "SLURM keeps no accounting here: sacct says 'Slurm accounting storage is disabled'"
    assert scheduler_line({"scheduler": {"scheduler": "slurm", "source": "sacct", "note": note}}) == \
        f"SLURM (sacct): {note}"
    assert scheduler_line({"used": {}}) is None
