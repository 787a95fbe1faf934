"""Local launcher for FocusQuest: embedded PostgreSQL + Redis, then the app or the tests.

Subcommands (`python -m devstack COMMAND`)::

    run                     servers, `manage.py migrate`, then `honcho start` (Procfile)
    run-cluster             `run` with the live store on a local 3+3 cluster (LIVE_REDIS_URL
                            its nodes, LIVE_REDIS_CLUSTER=true) and two flush workers; fresh
                            on every start, under `.data/run-cluster/`
    test [PYTEST ARGS]      servers (separate data dir), then `python -m pytest ARGS`
    services                servers only; prints the `export ...` lines, waits for Ctrl-C
    manage [ARGS]           `manage.py ARGS` against the servers of a running `run` or
                            `services`, or (none running) servers started just for it
    system-packages [NAMES] check for chromium and wrk (or NAMES); install the missing
                            ones with apt-get when root, else name the command and fail
    cluster                 a local Valkey cluster (3 masters + 3 replicas on free ports of
                            127.0.0.1, under .data/cluster, fresh each time); prints its
                            seed URLs, Ctrl-C stops it

If DATABASE_URL / REDIS_URL are already set they are used as they are and the matching
embedded server is not started. Otherwise the servers live under `.data/run/` (`run`,
`services`, `manage`) or `.data/test/` (`test`) and listen on unix sockets only, so they can
never collide with another server on a TCP port. While `run` or `services` is up it keeps
their URLs in `.data/run/services.env` (owner-only, `export` lines), which is how `manage`
finds them beside it.

Read from the environment: DATABASE_URL, REDIS_URL, HOST (127.0.0.1), PORT (8000), WS_PORT
(PORT+1); DEVSTACK_PROCFILE overrides the Procfile `run` starts (for testing the launcher).
Exported to children besides those: DEVSTACK_PORT (see Procfile) and BEAT_SCHEDULE_FILE.
`test` also writes pytest's exit code to .data/test/pytest-exit-code for .ci/run.
`system-packages` needs nothing but the standard library and no venv: make runs it with the
system's python3 before it creates .venv.

Deliberately free of Django imports: it must work before the app is importable, and its
job is to prepare the environment the app reads (DATABASE_URL, REDIS_URL, HOST, PORT,
WS_PORT).

Process model (why it is built this way):

* The embedded servers run in their own sessions, so a terminal Ctrl-C (SIGINT to the
  whole foreground process group) does not kill them before the app processes that use
  them; devstack stops them last, in order.
* honcho runs in its own process group and devstack forwards signals to it exactly once;
  honcho then SIGTERMs (and after 5 s SIGKILLs) the process group of every Procfile entry.
* devstack makes itself a "child subreaper" (Linux prctl), so anything orphaned below it
  (e.g. app processes of an honcho that died) is re-parented to devstack rather than to
  init, and a final sweep of devstack's descendants leaves nothing behind.
* A lock file per data dir stops two launchers from sharing (and stopping) one server, and
  a server still running from a crashed earlier launcher is recognised and restarted.
"""

import argparse
import sys
from collections.abc import Sequence

from devstack import DevstackError, log
from devstack.commands import cmd_cluster, cmd_manage, cmd_run, cmd_services, cmd_test
from devstack.packages import SYSTEM_PACKAGES, ensure_system_packages
from devstack.proctree import become_subreaper
from devstack.signals import Interrupted, Signals


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devstack",
        description="Run FocusQuest locally with embedded PostgreSQL and Redis.",
    )
    parser.add_argument(
        "command",
        choices=["run", "run-cluster", "test", "services", "manage", "system-packages", "cluster"],
    )
    parser.add_argument(
        "args",
        nargs=argparse.REMAINDER,
        help="(test) arguments for pytest; (manage) for manage.py; (system-packages) names",
    )
    options = parser.parse_args(argv)
    if options.command not in ("test", "manage", "system-packages") and options.args:
        parser.error(f"{options.command} takes no arguments")
    args = options.args[1:] if options.args[:1] == ["--"] else options.args

    if options.command == "system-packages":
        # No signal handling or subreaper: Ctrl-C simply stops apt-get and us.
        try:
            ensure_system_packages(args or SYSTEM_PACKAGES)
        except DevstackError as exc:
            log(f"error: {exc}")
            return 1
        return 0

    signals = Signals()
    signals.install()
    become_subreaper()
    try:
        if options.command in ("run", "run-cluster"):
            return cmd_run(signals, cluster=options.command == "run-cluster")
        if options.command == "test":
            return cmd_test(signals, args)
        if options.command == "manage":
            return cmd_manage(signals, args)
        if options.command == "cluster":
            return cmd_cluster(signals)
        return cmd_services(signals)
    except Interrupted:
        return signals.exit_code()
    except DevstackError as exc:
        log(f"error: {exc}")
        return signals.exit_code() if signals.received is not None else 1


if __name__ == "__main__":
    sys.exit(main())
