"""The PBS backend's reading of qstat: JSON records and the end states of jobs, from records a real OpenPBS 23.06
server gave (the same paths run against that server in *_openpbs.py)."""

import json
import re

import pytest

from imjoy_hpc.backends.pbs import JOB_ID_PATTERN, ended_state, job_state_word, parse_qstat_json

RUN = "Job run at Tue Dec 01 at 14:40 on (pbshost:ncpus=1)"


@pytest.mark.parametrize("record, state, reason_has", [
    ({"Exit_status": "0", "comment": f"{RUN} and finished"}, "COMPLETED", None),
    ({"Exit_status": "-29", "comment": f"{RUN} and exceeded resource walltime"}, "TIMEOUT", "Exit_status -29"),
    ({"Exit_status": "0", "comment": f"{RUN} and terminated by root@pbshost"}, "CANCELLED", "terminated by root"),
    ({"comment": "Can Never Run: Insufficient amount of resource: ncpus (R: 16 A: 2 T: 2) and terminated"},
     "CANCELLED", "Can Never Run"),
    ({"Exit_status": "271"}, "CANCELLED", "Exit_status 271"),
    ({"Exit_status": "3", "comment": f"{RUN} and finished"}, "FAILED", "Exit_status 3"),
])
def test_an_ended_job_gets_the_state_pbs_reported(record, state, reason_has):
    got, reason = ended_state({"job_state": "F", **record})
    assert got == state
    assert (reason is None) if reason_has is None else (reason_has in reason)


def test_a_queued_job_no_node_can_take_is_a_failure_with_pbs_words():
    comment = "Can Never Run: Insufficient amount of resource: ncpus (R: 16 A: 2 T: 2)"
    assert job_state_word({"job_state": "Q", "comment": comment}) == ("FAILED", comment)
    waiting = "Not Running: Not enough free nodes available"
    assert job_state_word({"job_state": "Q", "comment": waiting}) == ("PENDING", waiting)


def test_json_records_are_flattened_like_the_text_form():
    text = json.dumps({"Jobs": {"7.pbshost": {"job_state": "R", "Exit_status": 0, "exec_host": "pbshost/0",
                                              "Resource_List": {"walltime": "00:10:00", "ncpus": 1}}}})
    (job,) = parse_qstat_json(text)
    assert job == {"Job Id": "7.pbshost", "job_state": "R", "Exit_status": "0", "exec_host": "pbshost/0",
                   "Resource_List.walltime": "00:10:00", "Resource_List.ncpus": "1"}


@pytest.mark.parametrize("printed, job_id", [
    ("12.pbshost\n", "12.pbshost"), ("4[].pbshost", "4[].pbshost"), ("12345\n", "12345"),
    ("0.head-node.cluster.org", "0.head-node.cluster.org")])
def test_submitted_job_ids_keep_their_server(printed, job_id):
    assert re.search(JOB_ID_PATTERN, printed).group("job_id") == job_id
