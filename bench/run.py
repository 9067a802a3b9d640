"""Benchmark netsec.openstack against openstack.cloud on the local cloud (issue 7).

Run with the repository's .venv python (``make bench``).  Every tool is measured in the
same invocation, alternately (the order rotates each repetition), so machine load hits all
of them alike; results are medians with min/max, and ratios of medians.

Tools:
  ours   ansible-playbook, one netsec.openstack.security_groups task (.venv, openstacksdk 4.22)
  peer   ansible-playbook with openstack.cloud 2.5 (own venv, openstacksdk 4.5): a first task
         creates all groups without rules, then one security_group task per group with
         security_group_rules
  floor  bench/floor.py: plain openstacksdk, one bulk POST of rules per group
  empty  ansible-playbook of an empty play (the fixed cost of ansible itself)

Neutron requests are counted by a loopback proxy (clouds.yaml network_endpoint_override).
Everything is created in a dedicated project, deleted at the end.

Environment: BENCH_REPS (3), BENCH_SCALES (rules, "200"), BENCH_CHANGE_MAX (500: the 5% change runs
at scales up to it),
BENCH_RULES_PER_GROUP (25), BENCH_SERVERS (0: attachments scenario off), BENCH_PEER_VENV,
BENCH_PEER_CONVERGE_MAX (1000: above it the peer's no-op runs on the groups ours converged, its
converge is skipped), BENCH_OUT (bench-results/bench-<time>.json), OS_CLIENT_CONFIG_FILE.
"""

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import openstack
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from counting_proxy import CountingProxy  # noqa: E402

VENV_BIN = os.path.dirname(sys.executable)
PEER_VENV = os.environ.get("BENCH_PEER_VENV", os.path.expanduser("~/.cache/bench-venv-peer"))
REPS = int(os.environ.get("BENCH_REPS", "3"))
SCALES = [int(s) for s in os.environ.get("BENCH_SCALES", "200").split(",") if s]
CHANGE_MAX = int(os.environ.get("BENCH_CHANGE_MAX", "500"))  # the 5% change runs up to this many rules
PER_GROUP = int(os.environ.get("BENCH_RULES_PER_GROUP", "25"))
SERVERS = int(os.environ.get("BENCH_SERVERS", "0"))
# Above this many rules the peer does not converge (minutes); its no-op runs on the state ours made.
PEER_CONVERGE_MAX = int(os.environ.get("BENCH_PEER_CONVERGE_MAX", "1000"))
TOOLS = ["ours", "peer", "floor", "empty"]


def log(*args):
    print(time.strftime("%H:%M:%S"), *args, flush=True)


# --- declarations -------------------------------------------------------------

def declaration(prefix, rules_total):
    """Groups of PER_GROUP ingress rules; every tenth rule references the next group."""
    count = max(1, rules_total // PER_GROUP)
    names = ["%s-g%03d" % (prefix, i) for i in range(count)]
    groups = []
    for g, name in enumerate(names):
        rules = []
        for j in range(PER_GROUP):
            if j % 10 == 0:
                rules.append({"protocol": "tcp", "port": 1000 + j, "remote_group": names[(g + 1) % count]})
            else:
                rules.append({"protocol": "udp" if j % 3 == 0 else "tcp", "port": 2000 + j,
                              "remote_ip_prefix": "10.%d.%d.0/24" % (g % 250, j)})
        groups.append({"name": name, "description": "bench group %d" % g, "rules": rules})
    return {"groups": groups}


def changed_declaration(decl):
    """About 5% of the rules changed: half removed, half added, one description changed."""
    decl = json.loads(json.dumps(decl))
    total = sum(len(g["rules"]) for g in decl["groups"])
    budget = max(2, total // 20)
    removed = added = 0
    for g, group in enumerate(decl["groups"]):
        if removed < budget // 2:
            group["rules"].pop()  # a prefix rule (never index 0)
            removed += 1
        if added < budget - budget // 2:
            group["rules"].append({"protocol": "tcp", "port": 3000 + g, "remote_ip_prefix": "192.168.%d.0/24" % (g % 250)})
            added += 1
    decl["groups"][0]["description"] = "bench group 0, changed"
    return decl, {"rules_removed": removed, "rules_added": added, "descriptions_changed": 1}


def peer_rules(rules):
    out = []
    for rule in rules:
        item = {"direction": "ingress", "ether_type": "IPv4", "protocol": rule["protocol"],
                "port_range_min": rule["port"], "port_range_max": rule["port"]}
        if rule.get("remote_ip_prefix"):
            item["remote_ip_prefix"] = rule["remote_ip_prefix"]
        if rule.get("remote_group"):
            item["remote_group"] = rule["remote_group"]
        out.append(item)
    return out


# --- playbooks ----------------------------------------------------------------

def write(path, data):
    with open(path, "w") as handle:
        if path.endswith(".json"):
            json.dump(data, handle)
        else:
            yaml.safe_dump(data, handle, sort_keys=False)
    return path


def ours_playbook(workdir, decl, tag):
    return write(os.path.join(workdir, "ours-%s.yml" % tag), [{
        "hosts": "localhost", "gather_facts": False,
        "tasks": [{"name": "groups", "netsec.openstack.security_groups": {"cloud": "bench", "groups": decl["groups"]}}],
    }])


def peer_playbook(workdir, decl, tag):
    tasks = [{"name": "all groups first, without rules", "openstack.cloud.security_group": {
        "cloud": "bench", "name": "{{ item.name }}", "description": "{{ item.description }}"},
        "loop": [{"name": g["name"], "description": g["description"]} for g in decl["groups"]]}]
    for group in decl["groups"]:
        tasks.append({"name": "rules of %s" % group["name"], "openstack.cloud.security_group": {
            "cloud": "bench", "name": group["name"], "description": group["description"],
            "security_group_rules": peer_rules(group["rules"])}})
    return write(os.path.join(workdir, "peer-%s.yml" % tag), [{"hosts": "localhost", "gather_facts": False, "tasks": tasks}])


def attach_playbooks(workdir, servers, group_names):
    ours = write(os.path.join(workdir, "ours-attach.yml"), [{
        "hosts": "localhost", "gather_facts": False,
        "tasks": [{"name": "attach", "netsec.openstack.server_security_groups": {"cloud": "bench", "servers": [
            {"server": s, "security_groups": [group_names[i % len(group_names)], group_names[(i + 1) % len(group_names)]]}
            for i, s in enumerate(servers)]}}]}])
    peer = write(os.path.join(workdir, "peer-attach.yml"), [{
        "hosts": "localhost", "gather_facts": False,
        "tasks": [
            {"name": "server %s" % s, "openstack.cloud.server": {
                "cloud": "bench", "name": s, "image": "netsec-tiny", "flavor": "netsec-tiny", "network": "netsec-net",
                "auto_ip": False,
                "security_groups": [group_names[i % len(group_names)], group_names[(i + 1) % len(group_names)]]}}
            for i, s in enumerate(servers)]}])
    return ours, peer


class Bench(object):
    def __init__(self, admin, workdir, proxy, clouds_file):
        self.admin = admin
        self.workdir = workdir
        self.proxy = proxy
        self.clouds_file = clouds_file
        self.samples = []
        self.servers = []

    def env(self, tool):
        env = dict(os.environ, OS_CLIENT_CONFIG_FILE=self.clouds_file, ANSIBLE_NOCOLOR="1",
                   ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_LOCALHOST_WARNING="0",
                   ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_DEPRECATION_WARNINGS="0",
                   ANSIBLE_CONFIG=os.path.join(self.workdir, "ansible.cfg"))
        if tool == "peer":
            env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(PEER_VENV, "lib", "python3.11", "site-packages")
            env["PATH"] = os.path.join(PEER_VENV, "bin") + os.pathsep + env["PATH"]
        else:
            env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(ROOT, ".cache", "collections")
            env["PATH"] = VENV_BIN + os.pathsep + env["PATH"]
        return env

    def command(self, tool, playbook):
        if tool == "floor":
            return [sys.executable, os.path.join(HERE, "floor.py"), "bench", playbook]
        venv_bin = os.path.join(PEER_VENV, "bin") if tool == "peer" else VENV_BIN
        return [os.path.join(venv_bin, "ansible-playbook"), "-i", "localhost,", "-c", "local",
                "-e", "ansible_python_interpreter=%s" % os.path.join(venv_bin, "python"), playbook]

    def run(self, tool, scenario, scale, rep, playbook, **extra):
        self.proxy.reset()
        start = time.perf_counter()
        done = subprocess.run(self.command(tool, playbook), env=self.env(tool), cwd=self.workdir,
                              capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        counts = self.proxy.counts()
        output = done.stdout + done.stderr
        if done.returncode != 0:
            log("FAILED", tool, scenario, scale, output[-3000:])
        recap = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)", output)
        sample = dict(tool=tool, scenario=scenario, scale=scale, rep=rep, seconds=round(seconds, 3),
                      ok=done.returncode == 0, changed_tasks=int(recap.group(2)) if recap else None,
                      requests=counts["total"], writes=counts["writes"],
                      neutron_s=counts["upstream_s"], client_s=round(seconds - counts["upstream_s"], 3), by_method=counts["by_method"],
                      by_type=request_types(counts["requests"]), **extra)
        self.samples.append(sample)
        log("%-5s %-9s %5s rep%d %7.2fs (neutron %.2fs) requests=%d %s" % (
            tool, scenario, scale, rep, seconds, counts["upstream_s"], counts["total"], json.dumps(sample["by_type"])))
        return sample

    def clean(self, project_id):
        groups = [g for g in self.admin.network.security_groups(project_id=project_id) if g.name != "default"]
        for group in groups:
            for port in self.admin.network.ports(security_groups=[group.id]):
                if group.id in (port.security_group_ids or []):
                    self.admin.network.update_port(port, security_group_ids=[
                        s for s in port.security_group_ids if s != group.id])
        for group in groups:
            for attempt in range(10):
                try:
                    self.admin.network.delete_security_group(group.id, ignore_missing=True)
                    break
                except openstack.exceptions.ConflictException:
                    time.sleep(0.5 * (attempt + 1))

    def rules_in_project(self, project_id):
        ids = set(g.id for g in self.admin.network.security_groups(project_id=project_id) if g.name != "default")
        return sum(1 for r in self.admin.network.security_group_rules(project_id=project_id)
                   if r.security_group_id in ids)


def request_types(requests):
    """(method, resource) counts: 'POST security-group-rules', 'GET security-groups'..."""
    types = {}
    for method, path in requests:
        resource = path.split("?")[0].strip("/").split("/")
        resource = [p for p in resource if p not in ("v2.0",)]
        name = resource[0] if resource else ""
        if len(resource) > 2 and resource[2] == "tags":
            name += "/tags"
        key = "%s %s" % (method, name)
        types[key] = types.get(key, 0) + 1
    return dict(sorted(types.items()))


# --- summary ------------------------------------------------------------------

def summarize(samples):
    rows = {}
    for s in samples:
        rows.setdefault((s["scenario"], s["scale"], s["tool"]), []).append(s)
    summary = {}
    for (scenario, scale, tool), group in sorted(rows.items()):
        times = [s["seconds"] for s in group]
        summary["%s/%s/%s" % (scenario, scale, tool)] = {
            "scenario": scenario, "scale": scale, "tool": tool, "n": len(times),
            "median_s": round(statistics.median(times), 3), "min_s": min(times), "max_s": max(times),
            "requests_median": statistics.median([s["requests"] for s in group]),
            "neutron_s_median": round(statistics.median([s.get("neutron_s", 0) for s in group]), 3),
            "client_s_median": round(statistics.median([s.get("client_s", s["seconds"]) for s in group]), 3),
            "writes_median": statistics.median([s["writes"] for s in group]),
            "by_type": group[-1]["by_type"], "all_ok": all(s["ok"] for s in group),
            "changed_tasks": group[-1]["changed_tasks"],
        }
    return summary


def ratios(samples):
    """Per repetition ratios (same rep = same load), then their median."""
    by, full = {}, {}
    for s in samples:
        by[(s["scenario"], s["scale"], s["tool"], s["rep"])] = s["seconds"]
        full[(s["scenario"], s["scale"], s["tool"], s["rep"])] = s
    result = {}
    scales = sorted(set(s["scale"] for s in samples if s["scale"]))
    reps = sorted(set(s["rep"] for s in samples))
    for scale in scales:
        conv, conv_same, noop, change = [], [], [], []
        for rep in reps:
            ours = by.get(("converge", scale, "ours", rep))
            floor = by.get(("converge", scale, "floor", rep))
            empty = by.get(("empty", 0, "empty", rep))
            if ours and floor and empty:
                conv.append(ours / (floor + empty))
                o, f = full[("converge", scale, "ours", rep)], full[("converge", scale, "floor", rep)]
                if "neutron_s" in o and "neutron_s" in f:
                    # ours' own time plus the floor's Neutron time: Neutron's noise (shared, one worker) removed
                    conv_same.append((o["client_s"] + f["neutron_s"]) / (floor + empty))
            if by.get(("noop", scale, "peer", rep)) and by.get(("noop", scale, "ours", rep)):
                noop.append(by[("noop", scale, "peer", rep)] / by[("noop", scale, "ours", rep)])
            if by.get(("change", scale, "peer", rep)) and by.get(("change", scale, "ours", rep)):
                change.append(by[("change", scale, "peer", rep)] / by[("change", scale, "ours", rep)])
        result[scale] = {
            "converge_ours_over_floor_plus_empty": round(statistics.median(conv), 3) if conv else None,
            "noop_speedup_vs_peer": round(statistics.median(noop), 2) if noop else None,
            "change_speedup_vs_peer": round(statistics.median(change), 2) if change else None,
            "converge_same_neutron_time": round(statistics.median(conv_same), 3) if conv_same else None,
            "converge_ratios": [round(x, 3) for x in conv], "noop_speedups": [round(x, 2) for x in noop],
        }
    return result


def table(summary, rat):
    lines = ["| scenario | rules | tool | median s | min-max s | Neutron s | rest s | Neutron requests | writes "
             "| per rule ms |",
             "| --- | ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    for key, row in summary.items():
        per_rule = ("%.1f" % (1000.0 * row["median_s"] / row["scale"])) if row["scale"] and row["scenario"] in (
            "converge", "noop") else ""
        lines.append("| %s | %s | %s | %.2f | %.2f-%.2f | %.2f | %.2f | %s | %s | %s |" % (
            row["scenario"], row["scale"] or "", row["tool"], row["median_s"], row["min_s"], row["max_s"],
            row["neutron_s_median"], row["client_s_median"], row["requests_median"], row["writes_median"], per_rule))
    lines.append("")
    lines.append("| rules | converge: ours / (floor + empty) (target <= 1.15) | same, with the floor's Neutron time "
                 "| no-op: peer / ours (target >= 15) | change: peer / ours |")
    lines.append("| ---: | ---: | ---: | ---: | ---: |")
    for scale, r in sorted(rat.items()):
        cells = (scale, r["converge_ours_over_floor_plus_empty"], r["converge_same_neutron_time"],
                 r["noop_speedup_vs_peer"], r["change_speedup_vs_peer"])
        lines.append("| %s | %s | %s | %s | %s |" % cells)
    return "\n".join(lines)


def attachments(bench, admin, project, run_id, workdir, clouds_file):
    """Scenario 5: servers of the fake driver get their groups; then a no-op re-run."""
    servers = bench.servers
    bench.clean(project.id)

    decl = declaration("nb%s" % run_id, 100)
    names = [g["name"] for g in decl["groups"]]
    bench.run("ours", "setup-groups", 100, 0, ours_playbook(workdir, decl, "attach-groups"))
    saved = os.environ.get("OS_CLIENT_CONFIG_FILE")
    os.environ["OS_CLIENT_CONFIG_FILE"] = clouds_file
    try:
        conn = openstack.connect(cloud="bench")
    finally:
        os.environ["OS_CLIENT_CONFIG_FILE"] = saved
    image = conn.image.find_image("netsec-tiny")
    flavor = conn.compute.find_flavor("netsec-tiny")
    network = admin.network.find_network("netsec-net")
    log("booting %d fake servers" % SERVERS)
    for i in range(SERVERS):
        server = conn.compute.create_server(name="nb%s-s%02d" % (run_id, i), image_id=image.id,
                                            flavor_id=flavor.id, networks=[{"uuid": network.id}])
        servers.append(conn.compute.wait_for_server(server, status="ACTIVE", failures=["ERROR"],
                                                    interval=0.5, wait=300))
    ours_book, peer_book = attach_playbooks(workdir, [s.name for s in servers], names)
    for rep in range(REPS):
        for tool in (["ours", "peer"] if rep % 2 == 0 else ["peer", "ours"]):
            for port in admin.network.ports(device_id=[s.id for s in servers]):
                admin.network.update_port(port, security_group_ids=[])
            book = ours_book if tool == "ours" else peer_book
            bench.run(tool, "attach", SERVERS, rep, book)
            bench.run(tool, "attach-noop", SERVERS, rep, book)
    return servers


# --- main ---------------------------------------------------------------------

def main():
    admin = openstack.connect(cloud=os.environ.get("BENCH_ADMIN_CLOUD", "netsec-admin"))
    run_id = uuid.uuid4().hex[:6]
    project = admin.identity.create_project(name="netsec-bench-%s" % run_id, domain_id="default",
                                            description="netsec.openstack benchmark (bench/run.py); safe to delete")
    user = admin.identity.find_user("admin", domain_id="default")
    admin.identity.assign_project_role_to_user(project, user, admin.identity.find_role("admin"))
    neutron = admin.network.get_endpoint().rstrip("/")
    neutron = re.sub(r"/v2\.0$", "", neutron)
    proxy = CountingProxy(neutron).start()
    workdir = tempfile.mkdtemp(prefix="netsec-bench-")
    with open(os.environ["OS_CLIENT_CONFIG_FILE"]) as handle:
        clouds = yaml.safe_load(handle)
    base = json.loads(json.dumps(clouds["clouds"]["netsec-admin"]))
    base["auth"]["project_name"] = project.name
    base["auth"]["project_domain_name"] = "Default"
    base["network_endpoint_override"] = proxy.url + "/"
    clouds_file = write(os.path.join(workdir, "clouds.yaml"), {"clouds": {"bench": base}})
    with open(os.path.join(workdir, "ansible.cfg"), "w") as handle:
        handle.write("[defaults]\nstdout_callback = default\nretry_files_enabled = False\n")
    empty = write(os.path.join(workdir, "empty.yml"), [{"hosts": "localhost", "gather_facts": False, "tasks": []}])
    bench = Bench(admin, workdir, proxy, clouds_file)
    started = time.time()
    checks = []
    servers = bench.servers
    try:
        for rep in range(REPS):
            order = TOOLS[rep % len(TOOLS):] + TOOLS[:rep % len(TOOLS)]
            for scale in SCALES:
                prefix = "nb%s" % run_id
                decl = declaration(prefix, scale)
                decl_file = write(os.path.join(workdir, "decl-%d.json" % scale), decl)
                changed, change_size = changed_declaration(decl)
                playbooks = {"ours": ours_playbook(workdir, decl, scale), "peer": peer_playbook(workdir, decl, scale)}
                change_books = {"ours": ours_playbook(workdir, changed, "%d-change" % scale),
                                "peer": peer_playbook(workdir, changed, "%d-change" % scale)}
                for tool in order:
                    if tool == "empty":
                        continue
                    bench.clean(project.id)
                    if tool == "peer" and scale > PEER_CONVERGE_MAX:
                        continue
                    if tool == "floor":
                        bench.run("floor", "converge", scale, rep, decl_file)
                        checks.append({"tool": tool, "scale": scale, "rules": bench.rules_in_project(project.id)})
                        continue
                    bench.run(tool, "converge", scale, rep, playbooks[tool])
                    checks.append({"tool": tool, "scale": scale, "rules": bench.rules_in_project(project.id)})
                    bench.run(tool, "noop", scale, rep, playbooks[tool])
                    if tool == "ours" and scale > PEER_CONVERGE_MAX:
                        bench.run("peer", "noop", scale, rep, playbooks["peer"], on_state_of="ours")
                    if scale <= CHANGE_MAX:
                        bench.run(tool, "change", scale, rep, change_books[tool], change=change_size)
                        if tool == "ours":  # the peer's no-op is measured above already
                            bench.run(tool, "noop-after-change", scale, rep, change_books[tool])
            bench.run("empty", "empty", 0, rep, empty)
        if SERVERS:
            try:
                servers = attachments(bench, admin, project, run_id, workdir, clouds_file)
            except Exception as exc:  # noqa: BLE001 - keep the other scenarios' results
                log("attachments scenario failed: %r" % exc)
                checks.append({"attachments_error": repr(exc)})
    finally:
        for server in servers:
            admin.compute.delete_server(server.id, ignore_missing=True)
        for server in servers:
            try:
                admin.compute.wait_for_delete(server, interval=0.5, wait=120)
            except Exception:  # noqa: BLE001 - cleanup goes on
                pass
        bench.clean(project.id)
        admin.identity.delete_project(project.id)
        proxy.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    summary = summarize(bench.samples)
    rat = ratios(bench.samples)
    text = table(summary, rat)
    print(text)
    peer_version = "unknown"
    try:
        manifest = os.path.join(PEER_VENV, "lib", "python3.11", "site-packages", "ansible_collections", "openstack",
                                "cloud", "MANIFEST.json")
        with open(manifest) as handle:
            peer_version = json.load(handle)["collection_info"]["version"]
    except (OSError, KeyError, ValueError):
        pass
    result = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "duration_s": round(time.time() - started, 1),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "loadavg_end": os.getloadavg()},
        "settings": {"reps": REPS, "scales": SCALES, "rules_per_group": PER_GROUP, "servers": SERVERS,
                     "remote_group_share": 0.1, "openstack_cloud": peer_version,
                     "openstacksdk_ours": openstack.version.__version__ if hasattr(openstack, "version") else None},
        "summary": summary, "ratios": rat, "checks": checks, "samples": bench.samples, "table": text,
    }
    out = os.environ.get("BENCH_OUT") or os.path.join(ROOT, "bench-results",
                                                      "bench-%s.json" % time.strftime("%Y%m%dT%H%M%S"))
    os.makedirs(os.path.dirname(out), exist_ok=True)
    write(out, result)
    shutil.copyfile(out, os.path.join(os.path.dirname(out), "latest.json"))
    log("wrote", out)


if __name__ == "__main__":
    main()
