"""The engine's own cost at the scale case's size, in-process on the in-memory Neutron (no cloud, no Ansible).

Usage: .venv/bin/python bench/engine_on_fake.py [--profile]   (SCALE_GROUPS, SCALE_RULES, SCALE_BIG as bench/scale.py)

Runs ``_reconcile.reconcile`` on tests/unit/fake_cloud.py's FakeCloud: converge, no-op, then replace every rule
of the big group, and prints the CPU seconds of each (``time.process_time``: the machine's load changes it
little).  ``--profile`` adds cProfile's 25 most expensive functions (cumulative) per operation.  The fake's own
duplicate check (it compares a bulk create's rules with each other) is replaced by a linear one here: that is
Neutron's work, not the engine's.  The unit test tests/unit/plugins/module_utils/test_scale_paths.py guards the
growth (call counts at N and 4N rules).
"""

import cProfile
import io
import json
import os
import pstats
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "unit"))

import conftest  # noqa: E402  (makes ansible_collections.netsec.openstack importable from the checkout)
from fake_cloud import FakeCloud  # noqa: E402
from scale import one_project_declaration  # noqa: E402

from ansible_collections.netsec.openstack.plugins.module_utils import _reconcile as reconciler  # noqa: E402

OPTIONS = {"state": "present", "purge_rules": True, "purge_groups": False, "lock": False, "concurrency": 1, "lockout_guard": "warn"}


def main():
    assert conftest.TREE in sys.path
    profile = "--profile" in sys.argv[1:]
    declared, changed = one_project_declaration(), one_project_declaration(salt=1)
    operations = [
        ("converge", declared, True),
        ("noop", declared, False),
        ("replace", {"groups": declared["groups"][:-1] + changed["groups"][-1:]}, True),
    ]
    fake = FakeCloud()
    fake._check_new_rule = lambda body, also=(): fake._stored(body)[1]
    reconciler.open_run = lambda auth, options, connect: fake.cloud_run(options)
    cpu = {}
    for name, declaration, changes in operations:
        profiler = cProfile.Profile() if profile else None
        start = time.process_time()
        if profiler:
            profiler.enable()
        result = reconciler.reconcile(declaration, dict(OPTIONS), {}, False, with_diff=False)
        if profiler:
            profiler.disable()
        cpu[name] = round(time.process_time() - start, 3)
        if result["changed"] is not changes:
            raise SystemExit("%s: changed=%s" % (name, result["changed"]))
        if profiler:
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
            print("=== %s\n%s" % (name, text.getvalue()))
    rules = sum(len(group["rules"]) for group in declared["groups"])
    print(json.dumps({"rules": rules, "groups": len(declared["groups"]), "cpu_s": cpu}))


if __name__ == "__main__":
    main()
