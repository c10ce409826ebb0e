"""`imjoy-hpc submit`: run a plugin headless inside a SLURM or PBS job of a profile; prints the job id."""

from __future__ import annotations

import argparse
import sys

HELP = "run a plugin headless inside a batch job (SLURM, PBS or Grid Engine) of a profile; prints the job id"

EPILOG = """\
The job runs `imjoy-hpc run` (same Python environment) with the profile's queue, account, cores, memory,
walltime, GPUs, extra directives and prologue; a plugin's own `hpc` request refines the profile within the
site's limits, and --cores/--memory/... refine it further. Arguments: as for `imjoy-hpc run` (see its --help).

Output directory DIR:
  job.sh, submit.json, args.json   the batch script, what was submitted, the arguments
  logs/                            the job's stdout/stderr (job.out/.err; task-<i>.out/.err for arrays)
  result files                     one job: in DIR as `imjoy-hpc run` writes them, DIR/COMPLETE last;
                                   --array: DIR/<i>/ for argument set i (0-based), each with its COMPLETE
--array FILE: FILE holds a JSON list of argument sets; one array job (in the scheduler's own array syntax; for
Torque set imjoy-hpc.batch.pbs-array-option to -t) runs each set as its own task, indices 0..N-1.

The job is recorded in <state-dir>/jobs/; follow it with `imjoy-hpc jobs`, cancel it with
`imjoy-hpc jobs --cancel ID`."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from imjoy_hpc.commands.run import add_plugin_arguments

    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    add_plugin_arguments(parser)
    parser.add_argument("--array", metavar="FILE", help="JSON list of argument sets: one array job, a task each")
    parser.add_argument("--profile", metavar="NAME",
                        help="batch profile (default: the plugin's hpc.profile, else imjoy-hpc.default-profile)")
    parser.add_argument("--cores", type=int, help="cores for the job (within the profile's limits)")
    parser.add_argument("--memory", help="memory for the job, e.g. 8GB (within the limits)")
    parser.add_argument("--walltime", help="walltime for the job, e.g. 04:00:00 (within the limits)")
    parser.add_argument("--gpus", type=int, help="GPUs for the job (within the limits)")
    parser.add_argument("--queue", help="queue / partition for the job (within the allowed queues)")
    parser.add_argument("--json", action="store_true", help="print the job's record as JSON instead of its id")


def run(args: argparse.Namespace) -> int:
    import json

    from imjoy_hpc import config
    from imjoy_hpc.batch import BatchError
    from imjoy_hpc.batch.submitter import submit
    from imjoy_hpc.commands import load_settings

    settings = load_settings(args.config, "imjoy-hpc submit")
    if settings is None:
        return 2
    try:
        record = submit(settings, plugin=args.plugin, function=args.call, args_text=args.args,
                        args_file=args.args_file, array_file=args.array, profile=args.profile, output=args.output,
                        force=args.force, tag=args.tag, config_file=args.config,
                        request={"cores": args.cores, "memory": args.memory, "walltime": args.walltime,
                                 "gpus": args.gpus, "queue": args.queue},
                        state_dir=settings.state_path())
    except (BatchError, config.ConfigError) as exc:
        print(f"imjoy-hpc submit: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(record, indent=2))
    else:
        print(record["id"], flush=True)
    tasks = f"array job of {record['array']} tasks" if record["array"] else "job"
    print(f"imjoy-hpc submit: {record['backend']} {tasks} {record['id']} (profile {record['profile']}): "
          f"results in {record['output']}; follow with `imjoy-hpc jobs`", file=sys.stderr)
    return 0
