"""`imjoy-hpc run`: run a plugin headless here (or in the current job's allocation) and write its results."""

from __future__ import annotations

import argparse
import sys

HELP = "run a plugin headless here (or inside the current batch job) and write its results to a directory"

ARGS_HELP = """\
arguments (--args JSON, --args-file FILE):
  none          run(ctx) gets ctx = {"config": {}, "data": {}}; any other function is called without arguments
  JSON object   run(ctx) gets ctx = {"config": <object>, "data": {}}, as the ImJoy app calls run;
                any other function gets the members as keyword arguments: --call smooth --args '{"image": ...}'
  JSON list     the items are positional arguments (for run too): --call render --args '[64, 32]'
  other JSON    one positional argument: --call compute --args 5
  {"$ndarray": "file.npy"} anywhere stands for the array in that file (paths relative to the arguments
  file, or to the current directory for --args); result.json files reference their arrays this way.

output (--output DIR, written atomically: first to DIR.tmp-<random>, renamed at the end):
  result.json   the returned value; arrays become {"$ndarray": "<name>.npy", "dtype", "shape"} with the
                array in DIR/<name>.npy (a returned array alone: result.npy), bytes {"$bytes": "<name>.bin"}
  plugin.log    the plugin process's output, its api.log/showStatus messages and any error
  summary.json  plugin, function, args, status (completed | failed | cancelled), error and traceback,
                timings, host, job id
  COMPLETE      written last, only on success: a result is complete exactly when DIR/COMPLETE exists

exit status: 0 completed; 1 the plugin failed (DIR holds summary.json with the error, no COMPLETE);
  2 bad input (unknown plugin, invalid JSON, DIR exists, unknown profile: nothing written);
  130/143 interrupted by SIGINT/SIGTERM (summary status "cancelled")."""


def add_plugin_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by `run` and `submit`."""
    parser.add_argument("plugin", help="plugin file (.imjoy.html or .py) or the name of a catalog plugin")
    parser.add_argument("--call", default="run", metavar="FUNCTION",
                        help="the plugin function to call (default: run)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--args", metavar="JSON", help="the function's arguments as JSON (see below)")
    group.add_argument("--args-file", metavar="FILE", help="read the arguments (JSON) from FILE")
    parser.add_argument("--output", "-o", required=True, metavar="DIR", help="directory to write the results to")
    parser.add_argument("--force", action="store_true",
                        help="replace DIR if it exists (only a directory written by imjoy-hpc, or an empty one)")
    parser.add_argument("--tag", help="plugin tag to use (for plugins with several tags)")
    parser.add_argument("--config", metavar="FILE", help="extra config file (YAML), layered over the site config")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = ARGS_HELP
    add_plugin_arguments(parser)
    parser.add_argument("--args-index", type=int, metavar="N",
                        help="use item N of the JSON list in --args/--args-file (as array job tasks do)")
    parser.add_argument("--profile", metavar="NAME",
                        help="run the plugin where profile NAME places it (default: a local Dask worker sized "
                             "to this machine, or to the job's allocation inside a SLURM/PBS job)")
    parser.add_argument("--timeout", type=float, metavar="SECONDS",
                        help="fail if the call takes longer (default imjoy-hpc.batch.call-timeout: no limit)")
    parser.add_argument("--plain", action="store_true", help="plain progress lines even on a terminal")
    # Used by the job scripts of `imjoy-hpc submit`: DIR already holds the job's script and logs.
    parser.add_argument("--in-place", action="store_true", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from imjoy_hpc import config
    from imjoy_hpc.batch import BatchError
    from imjoy_hpc.batch.args import load_args
    from imjoy_hpc.batch.progress import Reporter
    from imjoy_hpc.batch.results import OutputDir, check_target
    from imjoy_hpc.batch.runner import EXIT_USAGE, BatchCall, find_spec, run_call, run_settings
    from imjoy_hpc.commands import load_settings

    settings = load_settings(args.config, "imjoy-hpc run")
    if settings is None:
        return EXIT_USAGE
    try:
        value, base = load_args(args.args, args.args_file, args.args_index)
        spec = find_spec(args.plugin, settings, args.tag)
        run_settings(settings, args.profile)
        output = OutputDir(args.output, force=args.force, in_place=args.in_place)
        check_target(output.target, force=args.force, in_place=args.in_place)
        timeout = args.timeout if args.timeout is not None else settings.batch.call_timeout
        if timeout is not None and float(timeout) <= 0:
            raise BatchError(f"--timeout must be positive, got {timeout}")
        output.open()
    except (BatchError, config.ConfigError) as exc:
        print(f"imjoy-hpc run: {exc}", file=sys.stderr)
        return EXIT_USAGE
    call = BatchCall(spec=spec, function=args.call, args=value, args_base=base, output=output,
                     profile=args.profile, call_timeout=None if timeout is None else float(timeout))
    reporter = Reporter(spec.name, fancy=False if args.plain else None)
    code = run_call(settings, call, reporter)
    if output.finished:
        if code == 0:
            print(output.target)
        else:
            print(f"imjoy-hpc run: details in {output.target}/summary.json and plugin.log", file=sys.stderr)
    return code
