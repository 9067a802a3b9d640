"""Benchmark netsec.openstack against openstack.cloud on the local cloud (issue 7).

Run with the repository's .venv python (``make bench``).  Every tool is measured in the
same invocation, alternately (the order rotates each repetition), so machine load hits all
of them alike; results are medians with min/max, and ratios of per-repetition ratios.

Tools:
  ours      ansible-playbook, one netsec.openstack.security_groups task (.venv, openstacksdk 4.22),
            the module's default concurrency
  ours-c1   the same with ``concurrency: 1`` (strictly sequential), when the module has the option
  peer      ansible-playbook with openstack.cloud 2.5 (own venv, openstacksdk 4.5): a first task
            creates all groups without rules, then one security_group task per group with
            security_group_rules
  floor     bench/floor.py: plain openstacksdk, raw requests, one bulk POST of rules per group
  floor-c4  the same with 4 bulk POSTs / DELETEs at a time
  empty     ansible-playbook of an empty play (the fixed cost of ansible itself)

Backends (BENCH_NEUTRON, comma-separated):
  sqlite    the local cloud's Neutron (:9696, sqlite, one uWSGI worker), shared with the tests
  mariadb   tests/cloud/bench-neutron: a second Neutron API (:9697) on MariaDB with
            BENCH_NEUTRON_WORKERS (4) uWSGI workers, started here if it is not up

Neutron (and, for the attachments, Nova) requests are counted by loopback proxies
(clouds.yaml network_endpoint_override / compute_endpoint_override).  Everything is created in
a dedicated project, deleted at the end.

Environment: BENCH_REPS (3), BENCH_SCALES (rules, "200"), BENCH_CHANGE_MAX (500: the 5% change
runs at scales up to it), BENCH_RULES_PER_GROUP (25), BENCH_NEUTRON ("sqlite"),
BENCH_NEUTRON_WORKERS (4), BENCH_SERVERS (0: attachments scenario off), BENCH_ATTACH_REPS (1),
BENCH_PEER_ATTACH ("port": openstack.cloud.port per port, "server": openstack.cloud.server per
server, or "port,server": both, as tools peer-port and peer-server), BENCH_PEER_VENV, BENCH_PEER_CONVERGE_MAX (1000: above it the peer's no-op runs on the
groups ours converged, its converge is skipped), BENCH_OUT (bench-results/bench-<time>.json),
OS_CLIENT_CONFIG_FILE.
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
from concurrent.futures import ThreadPoolExecutor

import openstack
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from counting_proxy import CountingProxy  # noqa: E402  (the integration tests' proxy)
from group_cleanup import delete_groups  # noqa: E402
from stop_signals import end_on_signals  # noqa: E402

VENV_BIN = os.path.dirname(sys.executable)
PEER_VENV = os.environ.get("BENCH_PEER_VENV", os.path.expanduser("~/.cache/bench-venv-peer"))
REPS = int(os.environ.get("BENCH_REPS", "3"))
SCALES = [int(s) for s in os.environ.get("BENCH_SCALES", "200").split(",") if s]
CHANGE_MAX = int(os.environ.get("BENCH_CHANGE_MAX", "500"))  # the 5% change runs up to this many rules
PER_GROUP = int(os.environ.get("BENCH_RULES_PER_GROUP", "25"))
SERVERS = int(os.environ.get("BENCH_SERVERS", "0"))
ATTACH_REPS = int(os.environ.get("BENCH_ATTACH_REPS", "1"))
PEER_ATTACH = [w.strip() for w in os.environ.get("BENCH_PEER_ATTACH", "port").split(",") if w.strip()]
BACKENDS = [b.strip() for b in os.environ.get("BENCH_NEUTRON", "sqlite").split(",") if b.strip()]
WORKERS = int(os.environ.get("BENCH_NEUTRON_WORKERS", "4"))
# Above this many rules the peer does not converge (minutes); its no-op runs on the state ours made.
PEER_CONVERGE_MAX = int(os.environ.get("BENCH_PEER_CONVERGE_MAX", "1000"))
BENCH_NEUTRON = os.path.join(ROOT, "tests", "cloud", "bench-neutron")
FLOOR_CONCURRENCY = 4


def log(*args):
    print(time.strftime("%H:%M:%S"), *args, flush=True)


def module_has_concurrency():
    """Whether netsec.openstack.security_groups takes `concurrency` (ansible-doc of the working tree)."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"))
    done = subprocess.run(
        [os.path.join(VENV_BIN, "ansible-doc"), "--json", "netsec.openstack.security_groups"], env=env, capture_output=True, text=True, check=False
    )
    try:
        doc = json.loads(done.stdout)["netsec.openstack.security_groups"]["doc"]
    except (ValueError, KeyError):
        log("ansible-doc netsec.openstack.security_groups failed: %s" % done.stderr[-500:])
        return False
    return "concurrency" in doc.get("options", {})


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
                rules.append({"protocol": "udp" if j % 3 == 0 else "tcp", "port": 2000 + j, "remote_ip_prefix": "10.%d.%d.0/24" % (g % 250, j)})
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
        item = {"direction": "ingress", "ether_type": "IPv4", "protocol": rule["protocol"], "port_range_min": rule["port"], "port_range_max": rule["port"]}
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


def ours_playbook(workdir, decl, tag, concurrency=None):
    args = {"cloud": "bench", "groups": decl["groups"]}
    if concurrency is not None:
        args["concurrency"] = concurrency
    return write(
        os.path.join(workdir, "ours-%s.yml" % tag),
        [
            {
                "hosts": "localhost",
                "gather_facts": False,
                "tasks": [{"name": "groups", "netsec.openstack.security_groups": args}],
            }
        ],
    )


def peer_playbook(workdir, decl, tag):
    tasks = [
        {
            "name": "all groups first, without rules",
            "openstack.cloud.security_group": {"cloud": "bench", "name": "{{ item.name }}", "description": "{{ item.description }}"},
            "loop": [{"name": g["name"], "description": g["description"]} for g in decl["groups"]],
        }
    ]
    for group in decl["groups"]:
        tasks.append(
            {
                "name": "rules of %s" % group["name"],
                "openstack.cloud.security_group": {
                    "cloud": "bench",
                    "name": group["name"],
                    "description": group["description"],
                    "security_group_rules": peer_rules(group["rules"]),
                },
            }
        )
    return write(os.path.join(workdir, "peer-%s.yml" % tag), [{"hosts": "localhost", "gather_facts": False, "tasks": tasks}])


def attach_assignment(servers, group_names):
    """Server name -> the 2 groups it wears (of the 4 made for the scenario)."""
    return dict((s, [group_names[i % len(group_names)], group_names[(i + 1) % len(group_names)]]) for i, s in enumerate(servers))


def attach_playbooks(workdir, servers, group_names, project_id):
    """{tool: playbook}: ours, and openstack.cloud's way(s) (BENCH_PEER_ATTACH)."""
    wanted = attach_assignment([s.name for s in servers], group_names)
    books = {
        "ours": write(
            os.path.join(workdir, "ours-attach.yml"),
            [
                {
                    "hosts": "localhost",
                    "gather_facts": False,
                    "tasks": [
                        {
                            "name": "attach",
                            "netsec.openstack.server_security_groups": {
                                "cloud": "bench",
                                "servers": [{"server": name, "security_groups": groups} for name, groups in wanted.items()],
                            },
                        }
                    ],
                }
            ],
        )
    }
    for way in PEER_ATTACH:
        if way == "server":
            # openstack.cloud.server on an existing server: adds/removes groups through Nova's server actions
            tasks = [
                {
                    "name": "server %s" % name,
                    "openstack.cloud.server": {
                        "cloud": "bench",
                        "name": name,
                        "image": "netsec-tiny",
                        "flavor": "netsec-tiny",
                        "network": "netsec-net",
                        "auto_ip": False,
                        "security_groups": groups,
                    },
                }
                for name, groups in wanted.items()
            ]
            play = {"hosts": "localhost", "gather_facts": False, "tasks": tasks}
        elif way == "port":
            # openstack.cloud.port on each server's port (Neutron directly): one port_info, then a loop
            tasks = [
                {
                    "name": "the servers' ports",
                    "openstack.cloud.port_info": {"cloud": "bench", "filters": {"project_id": project_id, "device_owner": "compute:nova"}},
                    "register": "bench_ports",
                },
                {
                    "name": "groups of each port",
                    "openstack.cloud.port": {
                        "cloud": "bench",
                        "name": "{{ item.id }}",
                        "network": "{{ item.network_id }}",
                        "security_groups": "{{ bench_groups[item.device_id] }}",
                    },
                    "loop": "{{ bench_ports.ports | selectattr('device_id', 'in', bench_groups) | list }}",
                    "loop_control": {"label": "{{ item.id }}"},
                },
            ]
            play = {"hosts": "localhost", "gather_facts": False, "tasks": tasks, "vars": {"bench_groups": dict((s.id, wanted[s.name]) for s in servers)}}
        else:
            raise SystemExit("BENCH_PEER_ATTACH: unknown way %r (port, server)" % way)
        books["peer-" + way] = write(os.path.join(workdir, "peer-attach-%s.yml" % way), [play])
    return books


class Backend(object):
    """One Neutron to measure against: its URL, a counting proxy, the bench clouds.yaml, an admin connection."""

    def __init__(self, name, project, workdir, base_cloud, nova_proxy=None):
        self.name = name
        self.started_here = False
        if name == "sqlite":
            catalog = openstack.connect(cloud=os.environ.get("BENCH_ADMIN_CLOUD", "netsec-admin"))
            self.neutron = re.sub(r"/v2\.0/?$", "", catalog.network.get_endpoint().rstrip("/"))
            self.workers = 1
        elif name == "mariadb":
            up = subprocess.run([BENCH_NEUTRON, "status"], capture_output=True, text=True, check=False).returncode == 0
            done = subprocess.run([BENCH_NEUTRON, "start", "--workers", str(WORKERS)], check=False)
            if done.returncode:
                raise SystemExit("tests/cloud/bench-neutron start failed (exit %d)" % done.returncode)
            self.started_here = not up
            self.neutron = subprocess.run([BENCH_NEUTRON, "url"], capture_output=True, text=True, check=True).stdout.strip()
            self.workers = WORKERS
        else:
            raise SystemExit("BENCH_NEUTRON: unknown backend %r (sqlite, mariadb)" % name)
        self.admin = openstack.connect(cloud=os.environ.get("BENCH_ADMIN_CLOUD", "netsec-admin"), network_endpoint_override=self.neutron + "/")
        self.proxy = CountingProxy(self.neutron).start()
        cloud = json.loads(json.dumps(base_cloud))
        cloud["network_endpoint_override"] = self.proxy.url + "/"
        if nova_proxy is not None:
            cloud["compute_endpoint_override"] = nova_proxy.url + "/v2.1/"
        self.clouds_file = write(os.path.join(workdir, "clouds-%s.yaml" % name), {"clouds": {"bench": cloud}})

    def stop(self):
        self.proxy.stop()
        if self.started_here:
            subprocess.run([BENCH_NEUTRON, "stop"], check=False)


class LocalBackend(object):
    """The local cloud's Neutron as it is, without a proxy (the profile scripts)."""

    def __init__(self, admin, clouds_file):
        self.name, self.admin, self.clouds_file, self.proxy, self.workers = "sqlite", admin, clouds_file, None, 1


class Bench(object):
    def __init__(self, workdir, project, has_concurrency):
        self.workdir = workdir
        self.project = project
        self.has_concurrency = has_concurrency
        self.samples = []
        self.servers = []
        self.backend = None
        self.nova_proxy = None

    def env(self, tool):
        env = dict(
            os.environ,
            OS_CLIENT_CONFIG_FILE=self.backend.clouds_file,
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_RETRY_FILES_ENABLED="0",
            ANSIBLE_LOCALHOST_WARNING="0",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
            ANSIBLE_DEPRECATION_WARNINGS="0",
            ANSIBLE_CONFIG=os.path.join(self.workdir, "ansible.cfg"),
        )
        if tool.startswith("peer"):
            env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(PEER_VENV, "lib", "python3.11", "site-packages")
            env["PATH"] = os.path.join(PEER_VENV, "bin") + os.pathsep + env["PATH"]
        else:
            env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(ROOT, ".cache", "collections")
            env["PATH"] = VENV_BIN + os.pathsep + env["PATH"]
        return env

    def command(self, tool, playbook):
        if tool.startswith("floor"):
            return [sys.executable, os.path.join(HERE, "floor.py"), "bench", playbook, str(FLOOR_CONCURRENCY if tool == "floor-c4" else 1)]
        venv_bin = os.path.join(PEER_VENV, "bin") if tool.startswith("peer") else VENV_BIN
        return [
            os.path.join(venv_bin, "ansible-playbook"),
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            "ansible_python_interpreter=%s" % os.path.join(venv_bin, "python"),
            playbook,
        ]

    def run(self, tool, scenario, scale, rep, playbook, **extra):
        proxies = [self.backend.proxy] + ([self.nova_proxy] if self.nova_proxy else [])
        for proxy in proxies:
            proxy.reset()
        load = os.getloadavg()[0]
        start = time.perf_counter()
        done = subprocess.run(self.command(tool, playbook), env=self.env(tool), cwd=self.workdir, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        counts = self.backend.proxy.counts()
        output = done.stdout + done.stderr
        if done.returncode != 0:
            log("FAILED", tool, scenario, scale, output[-3000:])
        recap = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)", output)
        sample = dict(
            backend=self.backend.name,
            tool=tool,
            scenario=scenario,
            scale=scale,
            rep=rep,
            seconds=round(seconds, 3),
            ok=done.returncode == 0,
            changed_tasks=int(recap.group(2)) if recap else None,
            requests=counts["total"],
            writes=counts["writes"],
            neutron_s=counts["upstream_busy_s"],
            neutron_sum_s=counts["upstream_s"],
            client_s=round(seconds - counts["upstream_busy_s"], 3),
            by_method=counts["by_method"],
            by_type=request_types(counts["requests"]),
            load1=round(load, 2),
            **extra,
        )
        if self.nova_proxy:
            nova = self.nova_proxy.counts()
            sample.update(nova_requests=nova["total"], nova_writes=nova["writes"], nova_s=nova["upstream_busy_s"], nova_by_type=request_types(nova["requests"]))
        self.samples.append(sample)
        log(
            "%-7s %-8s %-9s %5s rep%d %7.2fs (neutron %.2fs) requests=%d %s%s"
            % (
                self.backend.name,
                tool,
                scenario,
                scale,
                rep,
                seconds,
                counts["upstream_busy_s"],
                counts["total"],
                json.dumps(sample["by_type"]),
                (" nova=%d %s" % (sample["nova_requests"], json.dumps(sample["nova_by_type"]))) if self.nova_proxy else "",
            )
        )
        return sample

    def clean(self):
        delete_groups(self.backend.admin, lambda g: g.name != "default", project_id=self.project.id)

    def rules_in_project(self):
        admin, project_id = self.backend.admin, self.project.id
        ids = set(g.id for g in admin.network.security_groups(project_id=project_id) if g.name != "default")
        return sum(1 for r in admin.network.security_group_rules(project_id=project_id) if r.security_group_id in ids)


def request_types(requests):
    """(method, resource) counts: 'POST security-group-rules', 'GET security-groups'..."""
    types = {}
    for method, path in requests:
        resource = path.split("?")[0].strip("/").split("/")
        resource = [p for p in resource if p not in ("v2.0", "v2.1")]
        name = resource[0] if resource else ""
        if len(resource) > 2 and resource[2] in ("tags", "action", "os-security-groups", "os-interface"):
            name += "/" + resource[2]
        elif len(resource) > 1 and resource[1] == "detail":
            name += "/detail"
        key = "%s %s" % (method, name)
        types[key] = types.get(key, 0) + 1
    return dict(sorted(types.items()))


# --- scenarios ----------------------------------------------------------------


def tools_for(backend, has_concurrency):
    """The tools measured on a backend, in the order of repetition 0."""
    if backend == "sqlite":
        tools = ["ours", "peer", "floor"]
    else:  # the multi-worker backend: what concurrency gives; the peer is measured on sqlite
        tools = ["ours", "floor", "floor-c4"]
    if has_concurrency:
        tools.insert(1, "ours-c1")
    return tools


def scales_scenarios(bench, run_id, rep, tools, checks):
    workdir = bench.workdir
    turn = rep % len(tools)
    order = tools[turn:] + tools[:turn]
    for scale in SCALES:
        prefix = "nb%s" % run_id
        decl = declaration(prefix, scale)
        decl_file = write(os.path.join(workdir, "decl-%d.json" % scale), decl)
        changed, change_size = changed_declaration(decl)
        playbooks, change_books = {}, {}
        for tool in ("ours", "ours-c1", "peer"):
            concurrency = 1 if tool == "ours-c1" else None
            if tool == "peer":
                playbooks[tool] = peer_playbook(workdir, decl, scale)
                change_books[tool] = peer_playbook(workdir, changed, "%d-change" % scale)
            else:
                playbooks[tool] = ours_playbook(workdir, decl, "%s-%d" % (tool, scale), concurrency)
                change_books[tool] = ours_playbook(workdir, changed, "%s-%d-change" % (tool, scale), concurrency)
        for tool in order:
            bench.clean()
            if tool == "peer" and scale > PEER_CONVERGE_MAX:
                continue
            if tool.startswith("floor"):
                bench.run(tool, "converge", scale, rep, decl_file)
                checks.append({"backend": bench.backend.name, "tool": tool, "scale": scale, "rules": bench.rules_in_project()})
                continue
            bench.run(tool, "converge", scale, rep, playbooks[tool])
            checks.append({"backend": bench.backend.name, "tool": tool, "scale": scale, "rules": bench.rules_in_project()})
            if tool != "ours-c1":  # a no-op sends no write: concurrency has nothing to do
                bench.run(tool, "noop", scale, rep, playbooks[tool])
            if tool == "ours" and scale > PEER_CONVERGE_MAX and "peer" in tools:
                bench.run("peer", "noop", scale, rep, playbooks["peer"], on_state_of="ours")
            if scale <= CHANGE_MAX:
                bench.run(tool, "change", scale, rep, change_books[tool], change=change_size)
                if tool == "ours":  # the peer's no-op is measured above already
                    bench.run(tool, "noop-after-change", scale, rep, change_books[tool])


def boot_servers(conn, run_id, count):
    """`count` fake-driver servers, booted 8 at a time; waits until all are ACTIVE (one list per second)."""
    image = conn.image.find_image("netsec-tiny")
    flavor = conn.compute.find_flavor("netsec-tiny")
    network = conn.network.find_network("netsec-net")
    if not (image and flavor and network):
        raise RuntimeError("the local cloud lacks image/flavor netsec-tiny or network netsec-net (compute part)")
    names = ["nb%s-s%02d" % (run_id, i) for i in range(count)]

    def boot(name):
        return conn.compute.create_server(name=name, image_id=image.id, flavor_id=flavor.id, networks=[{"uuid": network.id}])

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        servers = list(pool.map(boot, names))
    ids = set(s.id for s in servers)
    deadline = time.monotonic() + 60 + 6 * count
    while True:
        listed = [s for s in conn.compute.servers(details=True) if s.id in ids]
        states = [s.status for s in listed]
        if any(state == "ERROR" for state in states):
            raise RuntimeError("a server went to ERROR: %s" % [s.name for s in listed if s.status == "ERROR"])
        if len(listed) == len(ids) and all(state == "ACTIVE" for state in states):
            break
        if time.monotonic() > deadline:
            raise RuntimeError("servers not ACTIVE in time: %s" % sorted(set(states)))
        time.sleep(1)
    log("booted %d servers in %.1fs" % (count, time.perf_counter() - started))
    return sorted(listed, key=lambda s: s.name)


def delete_servers(conn, servers, project_id):
    ids = set(s.id for s in servers)
    for server in servers:
        conn.compute.delete_server(server.id, ignore_missing=True)
    deadline = time.monotonic() + 60 + 3 * len(servers)
    while time.monotonic() < deadline:
        if not [s for s in conn.compute.servers(all_projects=True, project_id=project_id) if s.id in ids]:
            return
        time.sleep(1)
    log("some servers were not deleted in time")


def attachments(bench, run_id, base_cloud, checks):
    """Scenario 5: fake-driver servers get 2 groups each (of 4); then a no-op re-run.

    Runs on the local cloud's own Neutron (Nova's ports are there).  Before each tool's first
    run every port is reset to no group, outside the timing.
    """
    bench.clean()
    admin = bench.backend.admin
    decl = declaration("nb%s" % run_id, 100)
    names = [g["name"] for g in decl["groups"]]
    bench.run("ours", "setup-groups", 100, 0, ours_playbook(bench.workdir, decl, "attach-groups"))
    saved = os.environ.get("OS_CLIENT_CONFIG_FILE")
    os.environ["OS_CLIENT_CONFIG_FILE"] = bench.backend.clouds_file
    try:
        conn = openstack.connect(cloud="bench")  # the bench project, through the proxies (not counted here)
    finally:
        os.environ["OS_CLIENT_CONFIG_FILE"] = saved
    log("booting %d fake servers" % SERVERS)
    bench.servers = boot_servers(conn, run_id, SERVERS)
    servers = bench.servers
    books = attach_playbooks(bench.workdir, servers, names, bench.project.id)
    tools = sorted(books)  # ours, peer-port, peer-server
    group_ids = dict((g.name, g.id) for g in admin.network.security_groups(project_id=bench.project.id))
    wanted = attach_assignment([s.name for s in servers], names)
    for rep in range(ATTACH_REPS):
        turn = rep % len(tools)
        for tool in tools[turn:] + tools[:turn]:
            ports = list(admin.network.ports(device_id=[s.id for s in servers]))
            for port in ports:
                admin.network.update_port(port, security_group_ids=[])
            book = books[tool]
            bench.run(tool, "attach", SERVERS, rep, book)
            # verify with the SDK, not with the module's result
            by_server = dict((s.id, s.name) for s in servers)
            wrong = [
                p.id
                for p in admin.network.ports(device_id=list(by_server))
                if sorted(p.security_group_ids or []) != sorted(group_ids[g] for g in wanted[by_server[p.device_id]])
            ]
            checks.append({"tool": tool, "scenario": "attach", "ports": len(ports), "ports_wrong": len(wrong)})
            if wrong:
                log("after %s's attach, %d ports do not wear their declared groups" % (tool, len(wrong)))
            bench.run(tool, "attach-noop", SERVERS, rep, book)


# --- summary ------------------------------------------------------------------


def summarize(samples):
    rows = {}
    for s in samples:
        rows.setdefault((s.get("backend", "sqlite"), s["scenario"], s["scale"], s["tool"]), []).append(s)
    summary = {}
    for (backend, scenario, scale, tool), group in sorted(rows.items()):
        times = [s["seconds"] for s in group]
        row = {
            "backend": backend,
            "scenario": scenario,
            "scale": scale,
            "tool": tool,
            "n": len(times),
            "median_s": round(statistics.median(times), 3),
            "min_s": min(times),
            "max_s": max(times),
            "requests_median": statistics.median([s["requests"] for s in group]),
            "neutron_s_median": round(statistics.median([s.get("neutron_s", 0) for s in group]), 3),
            "client_s_median": round(statistics.median([s.get("client_s", s["seconds"]) for s in group]), 3),
            "writes_median": statistics.median([s["writes"] for s in group]),
            "by_type": group[-1]["by_type"],
            "all_ok": all(s["ok"] for s in group),
            "changed_tasks": group[-1]["changed_tasks"],
            "load1": [s.get("load1") for s in group],
        }
        if "nova_requests" in group[-1]:
            row.update(nova_requests_median=statistics.median([s["nova_requests"] for s in group]), nova_by_type=group[-1]["nova_by_type"])
        summary["%s/%s/%s/%s" % (backend, scenario, scale, tool)] = row
    return summary


def _median(values, digits):
    return round(statistics.median(values), digits) if values else None


def ratios(samples):
    """Per repetition ratios (same rep = same load), then their median; per backend and scale."""
    by = {}
    for s in samples:
        by[(s.get("backend", "sqlite"), s["scenario"], s["scale"], s["tool"], s["rep"])] = s
    empties = dict((s["rep"], s["seconds"]) for s in samples if s["scenario"] == "empty")
    result = {}
    for backend in sorted(set(s.get("backend", "sqlite") for s in samples)):
        scales = sorted(set(s["scale"] for s in samples if s["scale"] and s.get("backend", "sqlite") == backend and s["scenario"] in ("converge", "noop")))
        reps = sorted(set(s["rep"] for s in samples))
        for scale in scales:
            r = dict((k, []) for k in ("conv", "conv_same", "conv_c4", "noop", "change", "speed_conv", "speed_change", "speed_floor"))

            def get(scenario, tool, rep):
                return by.get((backend, scenario, scale, tool, rep))

            for rep in reps:
                ours, floor, empty = get("converge", "ours", rep), get("converge", "floor", rep), empties.get(rep)
                if ours and floor and empty:
                    r["conv"].append(ours["seconds"] / (floor["seconds"] + empty))
                    # ours' own time plus the floor's Neutron time: Neutron's noise (shared, one worker) removed
                    r["conv_same"].append((ours["client_s"] + floor["neutron_s"]) / (floor["seconds"] + empty))
                floor4 = get("converge", "floor-c4", rep)
                if ours and floor4 and empty:
                    r["conv_c4"].append(ours["seconds"] / (floor4["seconds"] + empty))
                if floor and floor4:
                    r["speed_floor"].append(floor["seconds"] / floor4["seconds"])
                for scenario, key in (("noop", "noop"), ("change", "change")):
                    peer, mine = get(scenario, "peer", rep), get(scenario, "ours", rep)
                    if peer and mine:
                        r[key].append(peer["seconds"] / mine["seconds"])
                for scenario, key in (("converge", "speed_conv"), ("change", "speed_change")):
                    seq, mine = get(scenario, "ours-c1", rep), get(scenario, "ours", rep)
                    if seq and mine:
                        r[key].append(seq["seconds"] / mine["seconds"])
            result["%s/%s" % (backend, scale)] = {
                "backend": backend,
                "scale": scale,
                "converge_ours_over_floor_plus_empty": _median(r["conv"], 3),
                "converge_same_neutron_time": _median(r["conv_same"], 3),
                "converge_ours_over_floor_c4_plus_empty": _median(r["conv_c4"], 3),
                "noop_speedup_vs_peer": _median(r["noop"], 2),
                "change_speedup_vs_peer": _median(r["change"], 2),
                "concurrency_speedup_converge": _median(r["speed_conv"], 2),
                "concurrency_speedup_change": _median(r["speed_change"], 2),
                "floor_concurrency_speedup": _median(r["speed_floor"], 2),
                "converge_ratios": [round(x, 3) for x in r["conv"]],
                "noop_speedups": [round(x, 2) for x in r["noop"]],
                "concurrency_speedups_converge": [round(x, 2) for x in r["speed_conv"]],
            }
    attach = {}
    for s in samples:
        if s["scenario"] in ("attach", "attach-noop") and s["tool"].startswith("peer"):
            ours = by.get((s.get("backend", "sqlite"), s["scenario"], s["scale"], "ours", s["rep"]))
            if ours:
                attach.setdefault("%s/%s" % (s["tool"], s["scenario"]), []).append(s["seconds"] / ours["seconds"])
    if attach:
        result["attach"] = dict((k, _median(v, 2)) for k, v in sorted(attach.items()))
    return result


def table(summary, rat):
    lines = [
        "| Neutron | scenario | rules | tool | median s | min-max s | Neutron s | rest s | Neutron requests | writes | per rule ms |",
        "| --- | --- | ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in summary.values():
        per_rule = ("%.1f" % (1000.0 * row["median_s"] / row["scale"])) if row["scale"] and row["scenario"] in ("converge", "noop") else ""
        requests = row["requests_median"]
        if "nova_requests_median" in row:
            requests = "%s (+%s Nova)" % (requests, row["nova_requests_median"])
        lines.append(
            "| %s | %s | %s | %s | %.2f | %.2f-%.2f | %.2f | %.2f | %s | %s | %s |"
            % (
                row["backend"],
                row["scenario"],
                row["scale"] or "",
                row["tool"],
                row["median_s"],
                row["min_s"],
                row["max_s"],
                row["neutron_s_median"],
                row["client_s_median"],
                requests,
                row["writes_median"],
                per_rule,
            )
        )
    lines.append("")
    lines.append(
        "| Neutron | rules | converge: ours / (floor + empty) (target <= 1.15) | same, floor's Neutron time "
        "| no-op: peer / ours (target >= 15) | change: peer / ours | concurrency 1 / 4: converge "
        "| concurrency 1 / 4: change | floor / floor-c4 | ours / (floor-c4 + empty) |"
    )
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for key, r in rat.items():
        if key == "attach":
            continue
        cells = (
            r["backend"],
            r["scale"],
            r["converge_ours_over_floor_plus_empty"],
            r["converge_same_neutron_time"],
            r["noop_speedup_vs_peer"],
            r["change_speedup_vs_peer"],
            r["concurrency_speedup_converge"],
            r["concurrency_speedup_change"],
            r["floor_concurrency_speedup"],
            r["converge_ours_over_floor_c4_plus_empty"],
        )
        lines.append("| %s |" % " | ".join("" if c is None else str(c) for c in cells))
    if "attach" in rat:
        lines.append("")
        lines.append("Attachments, openstack.cloud / ours: %s" % ", ".join("%s %s" % (k, v) for k, v in rat["attach"].items()))
    return "\n".join(lines)


# --- main ---------------------------------------------------------------------


def main():
    # INT and TERM end the run through the cleanup below (servers, groups, project, the bench Neutron if started here).
    end_on_signals("bench/run.py")
    admin = openstack.connect(cloud=os.environ.get("BENCH_ADMIN_CLOUD", "netsec-admin"))
    has_concurrency = module_has_concurrency()
    log("security_groups has `concurrency`: %s; backends %s; scales %s; reps %d; servers %d" % (has_concurrency, ",".join(BACKENDS), SCALES, REPS, SERVERS))
    run_id = uuid.uuid4().hex[:6]
    project = admin.identity.create_project(
        name="netsec-bench-%s" % run_id, domain_id="default", description="netsec.openstack benchmark (bench/run.py); safe to delete"
    )
    user = admin.identity.find_user("admin", domain_id="default")
    admin.identity.assign_project_role_to_user(project, user, admin.identity.find_role("admin"))
    workdir = tempfile.mkdtemp(prefix="netsec-bench-")
    with open(os.environ["OS_CLIENT_CONFIG_FILE"]) as handle:
        clouds = yaml.safe_load(handle)
    base = json.loads(json.dumps(clouds["clouds"]["netsec-admin"]))
    base["auth"]["project_name"] = project.name
    base["auth"]["project_domain_name"] = "Default"
    with open(os.path.join(workdir, "ansible.cfg"), "w") as handle:
        handle.write("[defaults]\nstdout_callback = default\nretry_files_enabled = False\n")
    empty = write(os.path.join(workdir, "empty.yml"), [{"hosts": "localhost", "gather_facts": False, "tasks": []}])
    bench = Bench(workdir, project, has_concurrency)
    started = time.time()
    load_start = os.getloadavg()
    checks = []
    backends = {}
    try:
        for name in BACKENDS:
            backends[name] = Backend(name, project, workdir, base)
        for rep in range(REPS):
            for name in BACKENDS:
                bench.backend = backends[name]
                scales_scenarios(bench, run_id, rep, tools_for(name, has_concurrency), checks)
                bench.clean()
            bench.backend = backends[BACKENDS[0]]
            bench.run("empty", "empty", 0, rep, empty)
        if SERVERS:
            nova = re.sub(r"/v2\.1/?$", "", admin.compute.get_endpoint().rstrip("/"))
            bench.nova_proxy = CountingProxy(nova).start()
            backends["attach"] = Backend("sqlite", project, workdir, base, nova_proxy=bench.nova_proxy)
            bench.backend = backends["attach"]
            try:
                attachments(bench, run_id, base, checks)
            except Exception as exc:  # noqa: BLE001 - keep the other scenarios' results
                log("attachments scenario failed: %r" % exc)
                checks.append({"attachments_error": repr(exc)})
    finally:
        if bench.servers:
            log("deleting %d servers" % len(bench.servers))
            delete_servers(admin, bench.servers, project.id)
        for backend in backends.values():
            bench.backend = backend
            try:
                bench.clean()
                for group in backend.admin.network.security_groups(project_id=project.id, name="default"):
                    backend.admin.network.delete_security_group(group.id, ignore_missing=True)
            except Exception as exc:  # noqa: BLE001 - cleanup goes on
                log("cleaning on %s failed: %r" % (backend.name, exc))
            backend.stop()
        if bench.nova_proxy:
            bench.nova_proxy.stop()
        admin.identity.delete_project(project.id)
        shutil.rmtree(workdir, ignore_errors=True)

    summary = summarize(bench.samples)
    rat = ratios(bench.samples)
    text = table(summary, rat)
    print(text)
    peer_version = "unknown"
    try:
        manifest = os.path.join(PEER_VENV, "lib", "python3.11", "site-packages", "ansible_collections", "openstack", "cloud", "MANIFEST.json")
        with open(manifest) as handle:
            peer_version = json.load(handle)["collection_info"]["version"]
    except (OSError, KeyError, ValueError):
        pass
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no", "plugins"], capture_output=True, text=True, check=False
    ).stdout.strip()
    result = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "duration_s": round(time.time() - started, 1),
        "commit": commit,
        "plugins_modified_in_worktree": bool(dirty),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "loadavg_start": load_start,
            "loadavg_end": os.getloadavg(),
        },
        "settings": {
            "reps": REPS,
            "scales": SCALES,
            "rules_per_group": PER_GROUP,
            "servers": SERVERS,
            "attach_reps": ATTACH_REPS,
            "peer_attach": PEER_ATTACH,
            "backends": BACKENDS,
            "mariadb_workers": WORKERS,
            "module_concurrency_option": has_concurrency,
            "remote_group_share": 0.1,
            "openstack_cloud": peer_version,
            "openstacksdk_ours": openstack.version.__version__ if hasattr(openstack, "version") else None,
        },
        "summary": summary,
        "ratios": rat,
        "checks": checks,
        "samples": bench.samples,
        "table": text,
    }
    out = os.environ.get("BENCH_OUT") or os.path.join(ROOT, "bench-results", "bench-%s.json" % time.strftime("%Y%m%dT%H%M%S"))
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    write(out, result)
    shutil.copyfile(out, os.path.join(os.path.dirname(out) or ".", "latest.json"))
    log("wrote", out)


if __name__ == "__main__":
    main()
