"""Profile one converge + no-op of netsec.openstack's engine in-process (no Ansible around it).

Usage (from the repository root, local cloud env set):
    PYTHONPATH=<dir with pyinstrument> .venv/bin/python bench/profile_converge.py [RULES]

Creates a throw-away project, runs ``_reconcile.reconcile`` on a bench declaration (converge,
then no-op) under pyinstrument, prints both profiles and the time of each phase, deletes the
project.  pyinstrument is not a project dependency: install it anywhere (``pip install --target``).
"""

import json
import os
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, ".cache", "collections"))

import openstack  # noqa: E402
from pyinstrument import Profiler  # noqa: E402

from ansible_collections.netsec.openstack.plugins.module_utils import _adapter  # noqa: E402
from ansible_collections.netsec.openstack.plugins.module_utils import _reconcile  # noqa: E402
from ansible_collections.netsec.openstack.plugins.module_utils._cloud import writes  # noqa: E402
import run as bench  # noqa: E402


def main():
    rules = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    admin = openstack.connect(cloud="netsec-admin")
    project = admin.identity.create_project(name="netsec-prof-%s" % uuid.uuid4().hex[:6], domain_id="default")
    user = admin.identity.find_user("admin", domain_id="default")
    admin.identity.assign_project_role_to_user(project, user, admin.identity.find_role("admin"))
    decl = bench.declaration("np%s" % project.id[:6], rules)
    auth = {"cloud": "netsec-admin", "project": None}
    options = {"state": "present", "purge_rules": True, "purge_groups": False, "project": project.id}
    phases = {}
    original = {}

    def timed(cls, name):
        func = getattr(cls, name)
        original[name] = func

        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                phases.setdefault(name, []).append(round(time.perf_counter() - start, 3))

        setattr(cls, name, wrapper)

    for name in ("observe", "default_rule_templates", "execute"):
        timed(_adapter.Adapter, name)
    for name in ("create_group", "create_rules", "delete_rule"):
        timed(writes.Writes, name)
    try:
        for label in ("converge", "noop"):
            phases.clear()
            profiler = Profiler(interval=0.002)
            start = time.perf_counter()
            profiler.start()
            result = _reconcile.reconcile(decl, options, auth, False)
            profiler.stop()
            total = time.perf_counter() - start
            print("=== %s of %d rules: %.2fs, requests %s" % (label, rules, total, json.dumps(result["api_requests"])))
            print("phases (s): %s" % json.dumps(dict((k, [sum(v), len(v)]) for k, v in phases.items())))
            print(profiler.output_text(unicode=False, color=False, show_all=False))
    finally:
        cleaner = bench.Bench(None, project, False)
        cleaner.backend = bench.LocalBackend(admin, None)
        cleaner.clean()
        admin.identity.delete_project(project.id)


if __name__ == "__main__":
    main()
