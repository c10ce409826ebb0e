"""imjoy-hpc: run ImJoy Python plugins on HPC clusters from a browser."""

__version__ = "0.1.0"
