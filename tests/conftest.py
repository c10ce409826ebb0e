import os
import sys

# Test modules define functions that Dask workers (also inside SLURM jobs) unpickle by reference.
TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
if TESTS_DIR not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (TESTS_DIR, os.environ.get("PYTHONPATH")) if p)
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)
