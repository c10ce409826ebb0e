"""imjoy-hpc: run ImJoy Python plugins on HPC clusters from a browser.

The packages follow the picture (docs/PROTOCOL.md for the wire; README's Layout for the files):

* `rpc`: the imjoy-rpc v1 codec and peer (transport-free), and the clients' transports (scripts, plugin processes);
* `transport`: the gateway's two doors (socket.io front door, plugin link) and their limits, knowing no application;
* `gateway`: the gateway process on the login node: client sessions and APIs, plugin instances, HTTP routes, pages;
* `plugins`: plugin files, environments, the launch contract and the plugin process with ImJoy's `api`;
* `cluster`: one Dask cluster per profile, scheduler-independent (pools of jobs, the tasks that run plugins);
* `backends`: everything about one scheduler, one module each (SLURM, PBS, Grid Engine, local);
* `batch`: headless runs and submitted batch jobs; `ssh`: the laptop's tunnel; `commands`: the command line;
* `settings` (with `config`): the configuration, read and checked once; every default is in `imjoy-hpc.yaml`.
"""

__version__ = "0.1.0"
