"""The gateway's state directory keeps to its owner: every directory the gateway makes in it is 0700 and every file
it writes there 0600."""

from __future__ import annotations

import os
import stat

import pytest


def test_private_dir_makes_every_missing_directory_0700_and_leaves_those_there(tmp_path):
    from imjoy_hpc.files import private_dir

    there = tmp_path / "there"
    there.mkdir(mode=0o755)
    there.chmod(0o755)
    old = os.umask(0o022)
    try:
        made = private_dir(there / "a" / "b")
        assert private_dir(made) == made  # already there: nothing to do
    finally:
        os.umask(old)
    assert [oct(stat.S_IMODE(p.stat().st_mode)) for p in (there, there / "a", made)] == ["0o755", "0o700", "0o700"]
    (made / "file").write_text("x")
    with pytest.raises(NotADirectoryError):
        private_dir(made / "file")


def test_the_spool_directory_made_under_the_state_directory_is_0700(tmp_path):
    """Arrays are spooled under $TMPDIR, or under the state directory's spool/ when that has no room."""
    from imjoy_hpc.gateway.uploads import Uploads

    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    uploads = Uploads(parent=str(state / "spool"))
    old = os.umask(0o022)
    try:
        spools = uploads.spool_dir
    finally:
        os.umask(old)
        uploads.close()
    assert spools.parent == state / "spool"
    assert oct(stat.S_IMODE((state / "spool").stat().st_mode)) == "0o700"
