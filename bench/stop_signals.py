"""INT and TERM end a benchmark script through its cleanup (``finally``: projects, quotas, groups, servers).

A script started with ``cmd &`` in a non-interactive shell starts with SIGINT ignored, and TERM would
end it without running ``finally`` at all: ``end_on_signals`` makes both raise SystemExit instead.
"""

import signal


def end_on_signals(script):
    """Install the handler for INT and TERM; ``script`` names the script in the exit message."""

    def stop(signum, _frame):
        raise SystemExit("%s: signal %d; cleaning up" % (script, signum))

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    return stop
