"""Where a no-op ansible-playbook run of ours spends its time (py-spy over every process).

Usage: bench/profile_noop.py PY_SPY RULES   (run with .venv python, local cloud env set)

Creates a throw-away project, converges a bench declaration, then records the no-op run with
``py-spy record --subprocesses --format raw`` and prints the inclusive time of the main phases
(collapsed stacks, one sample = 10 ms of one process).  Deletes the project.
"""

import collections
import json
import os
import subprocess
import sys
import tempfile
import uuid

import openstack
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run as bench  # noqa: E402

MARKERS = [
    ("ansible-playbook process", "ansible-playbook"),
    ("module: import openstack", "<module> (openstack/__init__.py"),
    ("module: reconcile", "reconcile (ansible_collections/netsec/openstack/plugins/module_utils/_reconcile.py"),
    ("module: connect+auth", "connect (ansible_collections/netsec/openstack/plugins/module_utils/_cloud/connection.py"),
    ("module: observe", "observe (ansible_collections/netsec/openstack/plugins/module_utils/_cloud/read_groups.py"),
    ("module: parse_declaration", "parse_declaration ("),
    ("module: make_plan", "make_plan ("),
    ("module: diff", "diff (ansible_collections/netsec/openstack/plugins/module_utils/_plan.py"),
    ("module: render_result_groups", "render_result_groups ("),
    ("module: exit_json", "exit_json ("),
    ("module: AnsibleModule()", "__init__ (ansible/module_utils/basic.py"),
    ("controller: result processing (_execute_module)", "_execute_module ("),
    ("ipaddress (anywhere)", "(ipaddress.py"),
]


def main():
    py_spy, rules = sys.argv[1], int(sys.argv[2])
    admin = openstack.connect(cloud="netsec-admin")
    project = admin.identity.create_project(name="netsec-prof-%s" % uuid.uuid4().hex[:6], domain_id="default")
    user = admin.identity.find_user("admin", domain_id="default")
    admin.identity.assign_project_role_to_user(project, user, admin.identity.find_role("admin"))
    workdir = tempfile.mkdtemp(prefix="netsec-prof-")
    with open(os.environ["OS_CLIENT_CONFIG_FILE"]) as handle:
        base = yaml.safe_load(handle)["clouds"]["netsec-admin"]
    base["auth"]["project_name"] = project.name
    clouds_file = bench.write(os.path.join(workdir, "clouds.yaml"), {"clouds": {"bench": base}})
    with open(os.path.join(workdir, "ansible.cfg"), "w") as handle:
        handle.write("[defaults]\n")
    runner = bench.Bench(workdir, project, False)
    runner.backend = bench.LocalBackend(admin, clouds_file)
    playbook = bench.ours_playbook(workdir, bench.declaration("nq%s" % project.id[:6], rules), "prof")
    try:
        command = runner.command("ours", playbook)
        subprocess.run(command, env=runner.env("ours"), cwd=workdir, check=True, capture_output=True)
        raw = os.path.join(workdir, "noop.txt")
        subprocess.run(
            [py_spy, "record", "--subprocesses", "--rate", "100", "--format", "raw", "-o", raw, "--"] + command,
            env=runner.env("ours"),
            cwd=workdir,
            check=True,
            capture_output=True,
        )
        totals = collections.Counter()
        samples = 0
        with open(raw) as handle:
            for line in handle:
                stack, _sep, count = line.rstrip().rpartition(" ")
                count = int(count)
                samples += count
                for label, marker in MARKERS:
                    if marker in stack:
                        totals[label] += count
        print("py-spy: %d samples (10 ms each, all processes) for a no-op of %d rules" % (samples, rules))
        print(json.dumps(dict((label, round(totals[label] / 100.0, 2)) for label, _m in MARKERS), indent=1))
        os.makedirs(os.path.join(bench.ROOT, "bench-results"), exist_ok=True)
        subprocess.run(["cp", raw, os.path.join(bench.ROOT, "bench-results", "noop-%d.pyspy.txt" % rules)], check=False)
    finally:
        runner.clean()
        admin.identity.delete_project(project.id)


if __name__ == "__main__":
    main()
