import os
import sys

# Test modules define functions that Dask workers (also inside SLURM jobs) unpickle by reference.
TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
if TESTS_DIR not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (TESTS_DIR, os.environ.get("PYTHONPATH")) if p)
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)


# OpenPBS runs in its own network namespace (tests/openpbs_support.py): scripts/test-all.sh runs the suite in two
# parts, IMJOY_HPC_TEST_PART=host (everything else) here and IMJOY_HPC_TEST_PART=openpbs inside that namespace.
TEST_PART = os.environ.get("IMJOY_HPC_TEST_PART", "")


def pytest_collection_modifyitems(config, items):
    if TEST_PART not in ("host", "openpbs"):
        return
    keep, drop = [], []
    for item in items:
        (keep if (item.get_closest_marker("openpbs") is not None) == (TEST_PART == "openpbs") else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
