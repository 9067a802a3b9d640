"""6,000-rule no-op of security_groups with declarations_file, with and without return_groups: false, and the floor.

A trimmed bench/scale.py part one: one scratch project converged once by the module (declarations_file), then
SCALE_REPEAT repetitions of the three no-ops back to back, one process at a time. Same environment variables
(SCALE_GROUPS, SCALE_RULES, SCALE_BIG, SCALE_OUT, OS_CLIENT_CONFIG_FILE); the project is deleted at the end.
"""

import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import scale as bench  # noqa: E402
from stop_signals import end_on_signals  # noqa: E402

REPEAT = int(os.environ.get("SCALE_REPEAT", "2"))


def main():
    end_on_signals("bench/return_groups_noop.py")
    run = bench.Scale(tempfile.mkdtemp(prefix="netsec-return-groups-"))
    total = bench.GROUPS * bench.RULES + bench.BIG
    extra = dict(part="return_groups", groups=bench.GROUPS, rules_per_group=bench.RULES, big=bench.BIG, rules=total)
    try:
        project = run.project(bench.GROUPS + 10, total + 4 * bench.GROUPS + 100)
        clouds = run.clouds_file("one", project)
        decl_json = bench.write(os.path.join(run.workdir, "decl.json"), bench.one_project_declaration())
        task = {"cloud": "bench", "declarations_file": decl_json}
        full = run.playbook("full.yml", [{"name": "all", "netsec.openstack.security_groups": task}])
        small = run.playbook("small.yml", [{"name": "all", "netsec.openstack.security_groups": dict(task, return_groups=False)}])
        floor = [sys.executable, os.path.join(HERE, "scale_floor.py"), "bench", "noop", project.id]
        run.run("ours-declfile", "converge", run.ansible(full), clouds, "AnsiballZ_", **extra)
        bench.log("rules in the project: %d (declared %d)" % (run.rules_in(project), total))
        for _repetition in range(REPEAT):
            run.run("ours-declfile", "noop", run.ansible(full), clouds, "AnsiballZ_", **extra)
            run.run("ours-declfile-small", "noop", run.ansible(small), clouds, "AnsiballZ_", **extra)
            run.run("floor", "noop", floor, clouds, "scale_floor.py", **extra)
    finally:
        run.drop()
        run.save()
        bench.log("results in %s" % run.out)


if __name__ == "__main__":
    main()
