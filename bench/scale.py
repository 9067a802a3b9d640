"""Scale case of the benchmark (issue 17): thousands of rules in one project, many projects in one run.

Run with the repository's .venv python (``make bench-scale``; ``make bench`` runs it after bench/run.py).

Part 1, one project (quotas raised for it): SCALE_GROUPS groups x SCALE_RULES rules, plus one group of
SCALE_BIG rules. Operations, each by ``ours`` (ansible-playbook, netsec.openstack.security_groups /
security_group) and by ``floor`` (plain openstacksdk, raw requests: bench/floor.py, bench/scale_floor.py):
  converge  empty project -> every group and rule
  noop      the same declaration again (``ansible-fixed``: a one-task ansible.builtin.ping playbook, the fixed cost
            of any Ansible module task, which the table subtracts in a second ratio; ``ours-file``: the groups read
            from a JSON file by a lookup; ``ours-declfile``: the module reads the file itself, ``declarations_file``; ``ours-declfile-short``: that with
            ``return_groups: false``; ``ansible``: a set_fact of the same groups, what Ansible alone spends on a task
            argument of that size)
  replace   every rule of the big group replaced by another (SCALE_BIG deletes + SCALE_BIG creates)
  delete    the big group deleted
Measured: wall time, Neutron requests (counting proxy), peak resident memory of the module process
(VmHWM of the AnsiballZ process, polled every 50 ms) and of the floor's process.

Part 2, many projects (SCALE_PROJECTS projects x SCALE_PROJECT_GROUPS groups of 5 rules): playbooks/apply.yml
with -e declarations=DIR (project_concurrency SCALE_CONCURRENCY) vs the sum of one apply.yml run per file,
converge and no-op.

Environment: SCALE_GROUPS (100), SCALE_RULES (50), SCALE_BIG (1000), SCALE_PROJECTS (20),
SCALE_PROJECT_GROUPS (10), SCALE_CONCURRENCY (4), SCALE_PARTS ("one,many"; "delete": only the delete, twice), SCALE_OUT
(bench/results/scale-<time>.json), SCALE_REUSE_PROJECT (see below), OS_CLIENT_CONFIG_FILE.
"""

import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid

import openstack
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from counting_proxy import CountingProxy  # noqa: E402
from playbook_runs import playbook_command, playbook_env  # noqa: E402
from run import write  # noqa: E402  (bench/run.py: a JSON or YAML file by its name)
from stop_signals import end_on_signals  # noqa: E402

VENV_BIN = os.path.dirname(sys.executable)
GROUPS = int(os.environ.get("SCALE_GROUPS", "100"))
RULES = int(os.environ.get("SCALE_RULES", "50"))
BIG = int(os.environ.get("SCALE_BIG", "1000"))
PROJECTS = int(os.environ.get("SCALE_PROJECTS", "20"))
PROJECT_GROUPS = int(os.environ.get("SCALE_PROJECT_GROUPS", "10"))
CONCURRENCY = int(os.environ.get("SCALE_CONCURRENCY", "4"))
# The id of a project that already holds the declaration (bench/floor.py converged it, say): the converge is then
# measured last instead of first, so a run cut short has the no-op, replace and delete (the project is deleted at the end).
REUSE = os.environ.get("SCALE_REUSE_PROJECT")
PARTS = [p.strip() for p in os.environ.get("SCALE_PARTS", "one,many").split(",") if p.strip()]
ADMIN_CLOUD = os.environ.get("BENCH_ADMIN_CLOUD", "netsec-admin")


def log(*args):
    print(time.strftime("%H:%M:%S"), *args, flush=True)


def rule(g, j, salt=0):
    """A distinct ingress rule: tcp/udp port j from a /24 of group g."""
    return {
        "protocol": "udp" if j % 3 == 0 else "tcp",
        "port": 1024 + j + salt,
        "remote_ip_prefix": "10.%d.%d.0/24" % (g % 250, j % 250) if j < 250 * 250 else "10.0.0.0/8",
    }


def one_project_declaration(salt=0):
    groups = [{"name": "s-g%03d" % g, "description": "scale group %d" % g, "rules": [rule(g, j) for j in range(RULES)]} for g in range(GROUPS)]
    # The big group: prefixes from 172.16.0.0/12 so its rules never equal another group's.
    big = [{"protocol": "tcp", "port": 20000 + (j % 5000) + salt, "remote_ip_prefix": "172.%d.%d.0/24" % (16 + j // 5000 % 16, j % 250)} for j in range(BIG)]
    groups.append({"name": "s-big", "description": "the big group", "rules": big})
    return {"groups": groups}


# --- peak memory of a process tree's matching process ------------------------------------------------------


def _children_map():
    parents = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as handle:
                parents[int(name)] = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return parents


def _descendants(root):
    parents = _children_map()
    found, frontier = set(), {root}
    while frontier:
        frontier = set(pid for pid, parent in parents.items() if parent in frontier) - found
        found |= frontier
    return found


def _hwm_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return 0
    except OSError:
        return 0


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


class PeakMemory(object):
    """Polls the descendants of ``root`` whose command line contains ``pattern``; keeps the highest VmHWM."""

    def __init__(self, root, pattern):
        self.root, self.pattern, self.peak_kib = root, pattern, 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()

    def _poll(self):
        while not self.stopped.is_set():
            for pid in _descendants(self.root) | {self.root}:
                if self.pattern in _cmdline(pid):
                    self.peak_kib = max(self.peak_kib, _hwm_kib(pid))
            self.stopped.wait(0.05)

    def stop(self):
        self.stopped.set()
        self.thread.join()
        return round(self.peak_kib / 1024.0, 1)


# --- the runs ----------------------------------------------------------------------------------------------


class Scale(object):
    def __init__(self, workdir):
        self.workdir = workdir
        self.admin = openstack.connect(cloud=ADMIN_CLOUD)
        neutron = re.sub(r"/v2\.0/?$", "", self.admin.network.get_endpoint().rstrip("/"))
        self.proxy = CountingProxy(neutron).start()
        with open(os.environ["OS_CLIENT_CONFIG_FILE"]) as handle:
            self.base = yaml.safe_load(handle)["clouds"][ADMIN_CLOUD]
        self.samples = []
        self.projects = []
        self.out = os.environ.get("SCALE_OUT") or os.path.join(HERE, "results", "scale-%s.json" % time.strftime("%Y%m%d-%H%M%S"))

    def save(self):
        """Results so far (written after every sample: a run cut short keeps what it measured)."""
        write(self.out, {"environment": dict((k, v) for k, v in os.environ.items() if k.startswith("SCALE_")), "samples": self.samples})

    def project(self, quota_groups, quota_rules, reuse=None):
        """A scratch project (``reuse``: the id of one made earlier, e.g. converged already); deleted by ``drop``."""
        if reuse:
            project = self.admin.identity.get_project(reuse)
        else:
            project = self.admin.identity.create_project(name="netsec-scale-%s" % uuid.uuid4().hex[:8], domain_id="default")
        self.projects.append(project)
        if not reuse:
            user = self.admin.identity.find_user("admin", domain_id="default")
            self.admin.identity.assign_project_role_to_user(project, user, self.admin.identity.find_role("admin"))
        self.admin.network.update_quota(project.id, security_groups=quota_groups, security_group_rules=quota_rules)
        return project

    def clouds_file(self, name, project):
        cloud = json.loads(json.dumps(self.base))
        cloud["auth"].pop("project_name", None)
        cloud["auth"].pop("project_domain_name", None)
        cloud["auth"]["project_id"] = project.id
        cloud["network_endpoint_override"] = self.proxy.url + "/"
        admin_cloud = json.loads(json.dumps(self.base))
        admin_cloud["network_endpoint_override"] = self.proxy.url + "/"
        return write(os.path.join(self.workdir, "clouds-%s.yaml" % name), {"clouds": {"bench": cloud, "bench-admin": admin_cloud}})

    def env(self, clouds_file):
        return playbook_env(clouds_file, ANSIBLE_DEPRECATION_WARNINGS="0", PATH=VENV_BIN + os.pathsep + os.environ["PATH"])

    def run(self, tool, operation, command, clouds_file, pattern, **extra):
        self.proxy.reset()
        start = time.perf_counter()
        process = subprocess.Popen(command, env=self.env(clouds_file), cwd=self.workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        memory = PeakMemory(process.pid, pattern)
        output = process.communicate()[0]
        seconds = time.perf_counter() - start
        peak = memory.stop()
        counts = self.proxy.counts()
        if process.returncode != 0:
            log("FAILED", tool, operation, output[-3000:])
        sample = dict(
            tool=tool,
            operation=operation,
            seconds=round(seconds, 3),
            ok=process.returncode == 0,
            requests=counts["total"],
            writes=counts["writes"],
            neutron_s=counts["upstream_busy_s"],
            peak_mib=peak,
            load1=round(os.getloadavg()[0], 2),
            **extra,
        )
        self.samples.append(sample)
        self.save()
        log(
            "%-6s %-9s %8.2fs (neutron %.2fs) requests=%-5d writes=%-5d peak=%6.1f MiB load=%.1f"
            % (tool, operation, seconds, counts["upstream_busy_s"], counts["total"], counts["writes"], peak, sample["load1"])
        )
        return sample

    def playbook(self, name, tasks):
        return write(os.path.join(self.workdir, name), [{"hosts": "localhost", "gather_facts": False, "tasks": tasks}])

    def ansible(self, playbook, *extra):
        return playbook_command(playbook, extra_args=extra)

    def clean(self, project):
        groups = [g for g in self.admin.network.security_groups(project_id=project.id) if g.name != "default"]
        for group in groups:
            self.admin.network.delete_security_group(group.id, ignore_missing=True)

    def rules_in(self, project):
        return len(list(self.admin.network.security_group_rules(project_id=project.id)))

    def drop(self):
        for project in self.projects:
            try:
                for group in self.admin.network.security_groups(project_id=project.id):
                    self.admin.network.delete_security_group(group.id, ignore_missing=True)
                self.admin.network.delete_quota(project.id)
                self.admin.identity.delete_project(project.id)
            except openstack.exceptions.SDKException as exc:
                log("cleanup of %s failed: %s" % (project.name, exc))
        self.proxy.stop()


# Tasks both one-project parts run: the big group's delete, and Ansible's fixed cost of one module task (start,
# AnsiballZ, a module process, the result) as ansible.builtin.ping.
DELETE_BIG = [{"name": "big", "netsec.openstack.security_group": {"cloud": "bench", "name": "s-big", "state": "absent"}}]
PING = [{"name": "ping", "ansible.builtin.ping": {}}]


def big_project(scale, name, reuse=None):
    """The one-project case's project (quotas raised for it), its clouds file, the declaration, its JSON file and the
    fields every sample of the part carries."""
    total = GROUPS * RULES + BIG
    project = scale.project(GROUPS + 10, total + 2 * BIG + 4 * GROUPS + 100, reuse=reuse)
    decl = one_project_declaration()
    decl_json = write(os.path.join(scale.workdir, "decl.json"), decl)
    extra = dict(part="one", groups=GROUPS, rules_per_group=RULES, big=BIG, rules=total)
    return project, scale.clouds_file(name, project), decl, decl_json, extra


def floor_converge(decl_json):
    return [sys.executable, os.path.join(HERE, "floor.py"), "bench", decl_json, str(CONCURRENCY)]


def one_project(scale):
    project, clouds, decl, decl_json, extra = big_project(scale, "one", reuse=REUSE)
    changed = one_project_declaration(salt=1)
    ours = {
        "converge": scale.playbook("converge.yml", [{"name": "all", "netsec.openstack.security_groups": {"cloud": "bench", "groups": decl["groups"]}}]),
        "replace": scale.playbook(
            "replace.yml", [{"name": "all", "netsec.openstack.security_groups": {"cloud": "bench", "groups": decl["groups"][:-1] + changed["groups"][-1:]}}]
        ),
        "delete": scale.playbook("delete.yml", DELETE_BIG),
        # The same task with the groups from a JSON file (lookup + from_json): no playbook YAML to parse and tag.
        "converge-file": scale.playbook(
            "converge-file.yml",
            [{"name": "all", "netsec.openstack.security_groups": {"cloud": "bench", "groups": "{{ (lookup('file', '%s') | from_json).groups }}" % decl_json}}],
        ),
        # The same declaration read by the module itself (declarations_file): no 500 KB task argument for Ansible.
        "declfile": scale.playbook("declfile.yml", [{"name": "all", "netsec.openstack.security_groups": {"cloud": "bench", "declarations_file": decl_json}}]),
        # ... and with return_groups: false (plan, summary, diff only: what a drift check or a pipeline reads).
        "declfile-short": scale.playbook(
            "declfile-short.yml",
            [{"name": "all", "netsec.openstack.security_groups": {"cloud": "bench", "declarations_file": decl_json, "return_groups": False}}],
        ),
        "fixed": scale.playbook("fixed.yml", PING),
        # Ansible's own cost for the same task argument (parse, template, hand the result back), no module process.
        "args": scale.playbook("args.yml", [{"name": "all", "ansible.builtin.set_fact": {"scale_groups": decl["groups"]}}]),
    }
    floor_ops = [sys.executable, os.path.join(HERE, "scale_floor.py"), "bench"]

    def big_group():
        return [g for g in scale.admin.network.security_groups(project_id=project.id) if g.name == "s-big"][0]

    # Each operation by both tools back to back on the same state (the machine's load changes by the minute):
    # ours replaces the big group's rules old -> new, the floor new -> old (the same work).
    def converge():
        scale.clean(project)
        scale.run("ours", "converge", scale.ansible(ours["converge"]), clouds, "AnsiballZ_", **extra)
        log("rules in the project after converge: %d (declared %d, plus default's)" % (scale.rules_in(project), extra["rules"]))

    if not REUSE:
        converge()
    for _repetition in range(2):  # short: twice
        scale.run("ours", "noop", scale.ansible(ours["converge"]), clouds, "AnsiballZ_", **extra)
        scale.run("ours-file", "noop", scale.ansible(ours["converge-file"]), clouds, "AnsiballZ_", **extra)
        scale.run("ours-declfile", "noop", scale.ansible(ours["declfile"]), clouds, "AnsiballZ_", **extra)
        scale.run("ours-declfile-short", "noop", scale.ansible(ours["declfile-short"]), clouds, "AnsiballZ_", **extra)
        scale.run("floor", "noop", floor_ops + ["noop", project.id], clouds, "scale_floor.py", **extra)
        scale.run("ansible", "noop", scale.ansible(ours["args"]), clouds, "ansible-playbook", **extra)
        scale.run("ansible-fixed", "noop", scale.ansible(ours["fixed"]), clouds, "AnsiballZ_", **extra)
    scale.run("ours", "replace", scale.ansible(ours["replace"]), clouds, "AnsiballZ_", **extra)
    scale.run("floor", "replace", floor_ops + ["replace", big_group().id, decl_json, "s-big", str(CONCURRENCY)], clouds, "scale_floor.py", **extra)
    scale.run("floor", "delete", floor_ops + ["delete", big_group().id], clouds, "scale_floor.py", **extra)
    scale.run("ours", "recreate", scale.ansible(ours["converge"]), clouds, "AnsiballZ_", **extra)
    scale.run("ours", "delete", scale.ansible(ours["delete"]), clouds, "AnsiballZ_", **extra)
    if REUSE:
        converge()
    scale.clean(project)
    scale.run("floor", "converge", floor_converge(decl_json), clouds, "floor.py", **extra)
    log("rules in the project after the floor's converge: %d" % scale.rules_in(project))
    scale.clean(project)


def deletes(scale):
    """SCALE_PARTS=delete: only the delete of the big group, ours and the floor in turn, twice (the declaration
    converged by the floor first; ours recreates the big group between the deletes)."""
    project, clouds, _decl, decl_json, extra = big_project(scale, "delete")
    converge = scale.playbook("converge.yml", [{"name": "all", "netsec.openstack.security_groups": {"cloud": "bench", "declarations_file": decl_json}}])
    delete, fixed = scale.playbook("delete.yml", DELETE_BIG), scale.playbook("fixed.yml", PING)
    floor_ops = [sys.executable, os.path.join(HERE, "scale_floor.py"), "bench"]
    scale.run("floor", "converge", floor_converge(decl_json), clouds, "floor.py", **extra)
    for _repetition in range(2):
        scale.run("ansible-fixed", "noop", scale.ansible(fixed), clouds, "AnsiballZ_", **extra)
        scale.run("ours", "delete", scale.ansible(delete), clouds, "AnsiballZ_", **extra)
        scale.run("ours", "recreate", scale.ansible(converge), clouds, "AnsiballZ_", **extra)
        big = [g for g in scale.admin.network.security_groups(project_id=project.id) if g.name == "s-big"][0]
        scale.run("floor", "delete", floor_ops + ["delete", big.id], clouds, "scale_floor.py", **extra)
        scale.run("ours", "recreate", scale.ansible(converge), clouds, "AnsiballZ_", **extra)
    scale.clean(project)


def many_projects(scale):
    projects = [scale.project(PROJECT_GROUPS + 5, PROJECT_GROUPS * 10 + 50) for _index in range(PROJECTS)]
    clouds = scale.clouds_file("many", projects[0])
    tree = os.path.join(scale.workdir, "tree")
    os.makedirs(tree)
    files = []
    for index, project in enumerate(projects):
        groups = [{"name": "m-g%02d" % g, "rules": [rule(g, j) for j in range(5)]} for g in range(PROJECT_GROUPS)]
        files.append(write(os.path.join(tree, "p%02d.yml" % index), {"project": project.name, "groups": groups}))
    apply = os.path.join(ROOT, "playbooks", "apply.yml")
    extra = dict(part="many", projects=PROJECTS, groups_per_project=PROJECT_GROUPS, concurrency=CONCURRENCY)

    def multi(operation):
        scale.run(
            "multi",
            operation,
            scale.ansible(apply, "-e", "cloud=bench-admin", "-e", "declarations=%s" % tree, "-e", "project_concurrency=%d" % CONCURRENCY),
            clouds,
            "AnsiballZ_",
            **extra,
        )

    def singles(operation):
        started, requests = time.perf_counter(), 0
        for path in files:
            requests += scale.run(
                "single", operation + "-1", scale.ansible(apply, "-e", "cloud=bench-admin", "-e", "declarations=%s" % path), clouds, "AnsiballZ_", **extra
            )["requests"]
        sample = dict(tool="singles", operation=operation, seconds=round(time.perf_counter() - started, 3), ok=True, requests=requests, **extra)
        scale.samples.append(sample)
        log("singles %-9s %8.2fs (sum of %d runs)" % (operation, sample["seconds"], len(files)))

    multi("converge")
    multi("noop")
    singles("noop")
    for project in projects:
        scale.clean(project)
    singles("converge")


def table(samples):
    lines = ["| part | tool | operation | seconds | requests | writes | peak MiB |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for s in samples:
        if s["tool"] == "single":
            continue
        cells = (s.get("part"), s["tool"], s["operation"], s["seconds"], s.get("requests"), s.get("writes", ""), s.get("peak_mib", ""))
        lines.append("| %s | %s | %s | %.2f | %s | %s | %s |" % cells)
    by = dict(((s["tool"], s["operation"]), s) for s in samples)
    fixed = by.get(("ansible-fixed", "noop"), {}).get("seconds")
    for operation in ("converge", "noop", "replace", "delete"):
        if ("ours", operation) in by and ("floor", operation) in by:
            ours, floor = by[("ours", operation)]["seconds"], max(by[("floor", operation)]["seconds"], 0.001)
            line = "ratio ours/floor %s: %.2f" % (operation, ours / floor)
            if fixed is not None:  # what the module adds to the floor, without the fixed cost of any Ansible task
                line += "; without Ansible's fixed %.2f s: %.2f" % (fixed, (ours - fixed) / floor)
            lines.append(line)
    for tool in ("ours-declfile", "ours-declfile-short"):
        if (tool, "noop") in by and ("floor", "noop") in by:
            lines.append("ratio %s/floor noop: %.2f" % (tool, by[(tool, "noop")]["seconds"] / max(by[("floor", "noop")]["seconds"], 0.001)))
    for operation in ("converge", "noop"):
        if ("multi", operation) in by and ("singles", operation) in by:
            ratio = by[("multi", operation)]["seconds"] / by[("singles", operation)]["seconds"]
            lines.append("multi / sum of singles %s: %.2f" % (operation, ratio))
    return "\n".join(lines)


def main():
    import tempfile

    # INT and TERM (also when started in the background) end the run through the cleanup: projects, quotas, groups.
    end_on_signals("bench/scale.py")
    scale = Scale(tempfile.mkdtemp(prefix="netsec-scale-"))
    try:
        if "one" in PARTS:
            one_project(scale)
        if "delete" in PARTS:
            deletes(scale)
        if "many" in PARTS:
            many_projects(scale)
    finally:
        scale.drop()
        scale.save()
        print(table(scale.samples))
        log("results in %s" % scale.out)


if __name__ == "__main__":
    main()
