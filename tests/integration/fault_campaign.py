"""The seeded fault campaign: random declaration changes x random fault points.

Per iteration: a random change of the declaration; a random request of the
run (among all its requests, or among its writes) gets a random fault from
``fault_proxy``; the faulted run must either fail with a clear message (what
failed, what had completed) or succeed with the cloud matching; then one clean
re-run must leave the cloud exactly as declared (read back with openstacksdk),
and the sentinels the declaration does not own must be unchanged.

Most runs call ``reconcile()`` in-process through the proxy (fast); every
``ansible_every``-th faulted run goes through a real ansible-playbook run, so the
message checked is the one users see.  ``run_campaign`` returns the figures.
"""

import collections
import itertools
import json
import os
import random
import threading
import time
import traceback

import openstack
import pytest
import yaml

from conftest import ROOT, _ensure_collection_link, add_rule, boot_servers, delete_groups, delete_servers
from fault_proxy import FaultProxy, is_write
from playbook_runs import run_module_task

from ansible_collections.netsec.openstack.plugins.module_utils import _adapter as adapter
from ansible_collections.netsec.openstack.plugins.module_utils import _model as model
from ansible_collections.netsec.openstack.plugins.module_utils import _plan as planner
from ansible_collections.netsec.openstack.plugins.module_utils import _module as module_utils
from ansible_collections.netsec.openstack.plugins.module_utils import _reconcile
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.connection import open_run
from ansible_collections.netsec.openstack.plugins.module_utils._declaration import parse_declaration
from ansible_collections.netsec.openstack.plugins.module_utils._errors import DeclarationError, PlanError

NEUTRON_URL = "http://127.0.0.1:%s" % (os.environ.get("NETSEC_NEUTRON_PORT") or 9696)
NOVA_URL = "http://127.0.0.1:8774"
OWNER = "managed-by=netsec.openstack"
MODULE = "netsec.openstack.security_groups"
# A run with a 'timeout' fault armed gives up on a request after FAULT_TIMEOUT seconds (the proxy holds
# the answer longer); every other run waits CLEAN_TIMEOUT, so a slow, loaded Neutron is not a fault.
FAULT_TIMEOUT = 5
CLEAN_TIMEOUT = 60
HOLD = FAULT_TIMEOUT + 2
CAMPAIGN_KINDS = (
    "500",
    "503",
    "500_after",
    "503_after",
    "drop_before",
    "drop_after",
    "timeout",
    "409",
    "404",
    "latency",
    "429",
    "429_retry_after",
    "409_overquota",
)
# The watcher polls the project's rules this often during every faulted run.
WATCH_PERIOD = 0.1
OUTPUT_DIR = os.path.join(ROOT, "tests", "output")

PREFIXES_V4 = ["10.0.0.0/8", "192.0.2.0/24", "203.0.113.0/24", "198.51.100.7/32", "172.16.0.0/12", "100.64.0.0/10"]
PREFIXES_V6 = ["2001:db8::/32", "fd00::/8", "2001:db8:1::/48"]
PORTS = [22, 80, 443, "8000-8100", 5432, 53, "3000-3010", 6443]
DESCRIPTIONS = ["", "web", "ops team", "db clients", "monitoring", "from the office"]
GROUP_DESCRIPTIONS = ["", "web tier", "database tier", "bastion hosts", "cache", "batch workers", "changed %d"]


# --- the proxy and the clouds that go through it ----------------------------------


@pytest.fixture(scope="session")
def fault_proxy():
    """One fault proxy in front of Neutron for the session (faults are armed per test)."""
    proxy = FaultProxy(NEUTRON_URL, hold=HOLD).start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="session")
def nova_fault_proxy():
    proxy = FaultProxy(NOVA_URL, hold=HOLD).start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="session")
def faulty_clouds_file(tmp_path_factory, clouds_file, fault_proxy, nova_fault_proxy):
    """clouds.yaml with ``<cloud>-faulty`` twins: Neutron and Nova through the fault proxies.

    It is a superset of ``clouds_file`` (which it extends), so this process's
    openstacksdk keeps working with it.
    """
    with open(clouds_file) as handle:
        config = yaml.safe_load(handle)
    for name in [n for n in config["clouds"] if not n.endswith("-counted")]:
        twin = dict(config["clouds"][name])
        twin["network_endpoint_override"] = fault_proxy.url + "/"
        twin["compute_endpoint_override"] = nova_fault_proxy.url + "/"
        config["clouds"][name + "-faulty"] = twin
    path = tmp_path_factory.mktemp("faulty-clouds") / "clouds.yaml"
    path.write_text(yaml.safe_dump(config))
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(path)
    return str(path)


# --- running the module -------------------------------------------------------------

Outcome = collections.namedtuple("Outcome", ["ok", "msg", "result", "crashed", "via"])


def run_inprocess(declaration, options, cloud="netsec-admin-faulty", check_mode=False, api_timeout=CLEAN_TIMEOUT):
    """``reconcile()`` as the module calls it; a failure becomes the message the module would print."""
    auth = {"cloud": cloud, "api_timeout": api_timeout}
    try:
        result = _reconcile.reconcile(declaration, options, auth, check_mode, with_diff=False)
        return Outcome(True, None, result, False, "inprocess")
    except adapter.CloudError as exc:
        done = getattr(exc, "done", None) or []
        pending = getattr(exc, "pending", None) or []
        try:
            text = module_utils._done_text(done, pending)
        except TypeError:  # the helper before 'pending' existed
            text = module_utils._done_text(done)
        return Outcome(False, "%s%s" % (exc, text), {"completed": done, "not_completed": pending, "changed": bool(done)}, False, "inprocess")
    except (DeclarationError, PlanError) as exc:  # refused before any change, as the module says it
        return Outcome(False, "nothing was changed: %s" % exc, {"changed": False}, False, "inprocess")
    except Exception:  # what the module would show as a traceback: never acceptable
        return Outcome(False, traceback.format_exc(), {}, True, "inprocess")


PLAYBOOK_NUMBERS = itertools.count(1)


def run_playbook(workdir, clouds_path, declaration, options, cloud="netsec-admin-faulty", api_timeout=CLEAN_TIMEOUT):
    """One real ansible-playbook run of security_groups; its registered result, failed or not."""
    _ensure_collection_link()
    args = dict(cloud=cloud, api_timeout=api_timeout, groups=declaration.get("groups") or [], **options)
    run, result = run_module_task(workdir, "fault-task-%d" % next(PLAYBOOK_NUMBERS), MODULE, args, clouds_path)
    if result is None:
        return Outcome(False, run.output, {}, True, "ansible")
    if result.get("failed"):
        crashed = "Traceback" in (result.get("module_stderr") or "") or "MODULE FAILURE" in (result.get("msg") or "")
        return Outcome(False, result.get("msg") or "", result, crashed, "ansible")
    return Outcome(True, None, result, False, "ansible")


# --- reading the cloud back (openstacksdk, independent of the module) ---------------


def _rule_view(rule, name_of):
    key = model.key_from_neutron(rule)
    if key.remote_kind == model.REMOTE_GROUP:
        key = key._replace(remote=name_of.get(key.remote, key.remote))
    return (tuple("" if v is None else str(v) for v in key), rule.get("description") or "")


def project_groups(conn, project_id):
    return list(conn.network.security_groups(project_id=project_id))


def mismatches(conn, project_id, declaration, purge=True):
    """How the project differs from the declaration (empty: exactly as declared; with ``purge``, no
    undeclared tagged group is left either)."""
    groups = project_groups(conn, project_id)
    name_of = dict((g.id, g.name) for g in groups)
    by_name = collections.defaultdict(list)
    for group in groups:
        by_name[group.name].append(group)
    desired = parse_declaration(declaration)
    problems = []
    declared_names = set()
    for group in desired.groups:
        declared_names.add(group.name)
        found = by_name.get(group.name, [])
        if len(found) != 1:
            problems.append("group %s: %d copies in the cloud" % (group.name, len(found)))
            continue
        found = found[0]
        if OWNER not in (found.tags or []):
            problems.append("group %s: no ownership tag (tags %s)" % (group.name, found.tags))
        if group.description is not None and (found.description or "") != group.description:
            problems.append("group %s: description %r, declared %r" % (group.name, found.description, group.description))
        if group.rules is None:  # rules not declared: whatever the group holds is right (issue 13)
            continue
        # A rule declared without a description matches any description (issue 13): compare without it.
        free = set(tuple("" if v is None else str(v) for v in rule.key) for rule in group.rules if rule.description is None)
        want = collections.Counter((tuple("" if v is None else str(v) for v in rule.key), rule.description) for rule in group.rules)
        want = collections.Counter(dict(((key, None if key in free else description), n) for (key, description), n in want.items()))
        have = collections.Counter()
        for rule in found.security_group_rules or []:
            key, description = _rule_view(rule, name_of)
            have[(key, None if key in free else description)] += 1
        if want != have:
            problems.append("group %s: missing rules %s, extra rules %s" % (group.name, sorted((want - have).elements()), sorted((have - want).elements())))
    for group in groups if purge else []:
        if OWNER in (group.tags or []) and group.name not in declared_names:
            problems.append("group %s (%s): tagged, not declared, not purged" % (group.name, group.id))
    return problems


def project_snapshot(conn, project_id, prefix=""):
    """The project's groups (named ``prefix``...) with ids, tags and rule ids: for 'nothing had been changed' claims."""
    return sorted(
        (g.id, g.name, g.description or "", tuple(sorted(g.tags or [])), tuple(sorted(r["id"] for r in g.security_group_rules or [])))
        for g in project_groups(conn, project_id)
        if (g.name or "").startswith(prefix)
    )


# --- sentinels: objects the declaration does not own ---------------------------------


class Sentinels(object):
    """An untagged group, a group with a hand-added rule (same project), a tagged group in another
    project (netsec-demo2), and a server port's security groups; ``changes()`` says what moved."""

    def __init__(self, admin, project, prefix, with_server=True):
        self.admin = admin
        self.prefix = prefix
        self.server = None
        self.scoped = None
        self.untagged = admin.network.create_security_group(name=prefix + "sentinel-untagged", project_id=project.id, description="not ours")
        self.hand = admin.network.create_security_group(name=prefix + "sentinel-hand", project_id=project.id, description="a rule added by hand")
        add_rule(admin, self.hand.id, protocol="tcp", port_range_min=2222, port_range_max=2222, remote_ip_prefix="198.51.100.0/24", description="by hand")
        self.demo2 = openstack.connect(cloud="netsec-demo2")
        self.other = self.demo2.network.create_security_group(name=prefix + "sentinel-other-project", description="tagged, in netsec-demo2")
        self.demo2.network.set_tags(self.other, [OWNER])
        self.port_id = None
        if with_server:
            self.scoped = admin.connect_as_project({"id": project.id, "name": project.name, "domain_id": project.domain_id})
            (self.server,) = boot_servers(self.scoped, [prefix + "sentinel-server"])
            ports = list(admin.network.ports(device_id=self.server.id))
            self.port_id = ports[0].id
            admin.network.update_port(self.port_id, security_group_ids=[self.untagged.id, self.hand.id])
        self.before = self.snapshot()

    def _group(self, conn, group_id):
        group = conn.network.get_security_group(group_id)
        return {
            "name": group.name,
            "description": group.description,
            "tags": sorted(group.tags or []),
            "rules": sorted((r["id"],) + _rule_view(r, {})[0] + (r.get("description") or "",) for r in group.security_group_rules or []),
        }

    def snapshot(self):
        state = {
            "untagged": self._group(self.admin, self.untagged.id),
            "hand": self._group(self.admin, self.hand.id),
            "other_project": self._group(self.admin, self.other.id),
        }
        if self.port_id:
            state["port"] = sorted(self.admin.network.get_port(self.port_id).security_group_ids or [])
        return state

    def changes(self):
        try:
            now = self.snapshot()
        except openstack.exceptions.NotFoundException as exc:
            return ["a sentinel is gone: %s" % exc]
        return ["%s: %s -> %s" % (name, self.before[name], now[name]) for name in sorted(self.before) if self.before[name] != now[name]]

    def cleanup(self):
        if self.server is not None:
            delete_servers(self.scoped, [self.server])
        delete_groups(self.demo2, lambda g: g.id == self.other.id)


# --- the random declarations ---------------------------------------------------------


class Generator(object):
    def __init__(self, rng, prefix):
        self.rng = rng
        self.prefix = prefix
        self.next_group = 0

    def new_name(self):
        self.next_group += 1
        return "%sg%d" % (self.prefix, self.next_group)

    def rule(self, group_names):
        rng = self.rng
        choice = rng.random()
        if choice < 0.3 and group_names:
            rule = {"protocol": rng.choice(["tcp", "udp"]), "port": rng.choice(PORTS), "remote_group": rng.choice(group_names)}
            if rng.random() < 0.3:
                rule["ethertype"] = "IPv6"
        elif choice < 0.85:
            protocol = rng.choice(["tcp", "tcp", "udp", "icmp"])
            rule = {"protocol": protocol}
            if protocol != "icmp":
                rule["port"] = rng.choice(PORTS)
            if rng.random() < 0.25:
                rule["remote_ip_prefix"] = [rng.choice(PREFIXES_V4), rng.choice(PREFIXES_V6)]
            else:
                rule["remote_ip_prefix"] = rng.choice(PREFIXES_V4 + PREFIXES_V6)
        else:
            rule = {"direction": "egress", "ethertype": rng.choice(["IPv4", "IPv6"])}
        description = rng.choice(DESCRIPTIONS)
        if description:
            rule["description"] = description
        return rule

    def group(self, name, group_names):
        description = self.rng.choice(GROUP_DESCRIPTIONS)
        group = {"name": name, "description": description.replace("%d", str(self.rng.randint(1, 99))), "rules": []}
        for _index in range(self.rng.randint(0, 4)):
            self.add_rule(group, group_names + [name])
        return group

    def add_rule(self, group, group_names):
        for _attempt in range(20):
            candidate = self.rule(group_names)
            trial = dict(group, rules=group["rules"] + [candidate])
            if _valid({"groups": [trial]}, ignore_references=True) and _adds_new_key(group, candidate):
                group["rules"].append(candidate)
                return True
        return False

    def base(self):
        names = [self.new_name() for index in range(self.rng.randint(2, 4))]
        return {"groups": [self.group(name, names) for name in names]}

    def change(self, declaration):
        """A copy of ``declaration`` with 1-3 random changes; returns (new declaration, what changed)."""
        declaration = json.loads(json.dumps(declaration))
        groups = declaration["groups"]
        what = []
        for _index in range(self.rng.randint(1, 3)):
            names = [g["name"] for g in groups]
            options = ["add_rule", "add_rule", "remove_rule", "description"]
            if len(groups) < 5:
                options.append("add_group")
            if len(groups) > 1:
                options.append("remove_group")
            action = self.rng.choice(options)
            if action == "add_rule":
                group = self.rng.choice(groups)
                for _count in range(self.rng.randint(1, 3)):
                    self.add_rule(group, names)
            elif action == "remove_rule":
                candidates = [g for g in groups if g["rules"]]
                if not candidates:
                    continue
                group = self.rng.choice(candidates)
                group["rules"].pop(self.rng.randrange(len(group["rules"])))
            elif action == "description":
                group = self.rng.choice(groups)
                group["description"] = "changed %d" % self.rng.randint(100, 999)
            elif action == "add_group":
                name = self.new_name()
                groups.append(self.group(name, names))
                if self.rng.random() < 0.5:
                    # an existing group's rule references the new one (a placeholder in the plan)
                    other = self.rng.choice(groups[:-1])
                    other["rules"].append({"protocol": "tcp", "port": self.rng.choice(PORTS), "remote_group": name})
            elif action == "remove_group":
                gone = groups.pop(self.rng.randrange(len(groups)))
                for group in groups:
                    group["rules"] = [r for r in group["rules"] if r.get("remote_group") != gone["name"]]
            what.append(action)
        _dedupe(declaration)
        return declaration, what


def _valid(declaration, ignore_references=False):
    try:
        parse_declaration(declaration)
        return True
    except Exception:
        return False


def _keys(rule):
    from ansible_collections.netsec.openstack.plugins.module_utils._declaration import expand_rule

    return set(r.key for r in expand_rule(rule, "x"))


def _adds_new_key(group, candidate):
    existing = set()
    for rule in group["rules"]:
        existing |= _keys(rule)
    return not (_keys(candidate) & existing)


def _dedupe(declaration):
    """Drop rules whose keys an earlier rule of the group already declares (a change can re-add one)."""
    for group in declaration["groups"]:
        seen, kept = set(), []
        for rule in group["rules"]:
            keys = _keys(rule)
            if keys & seen:
                continue
            seen |= keys
            kept.append(rule)
        group["rules"] = kept


# --- the campaign ----------------------------------------------------------------------


def estimate_requests(cloud_run, declaration, options):
    """(reads, writes) a run of ``declaration`` would send, from the plan made over the campaign's own run
    (``open_run`` once, on the cloud without faults: no new login).

    Reads: version discovery and the group list, the templates when a group is created, two usage reads per
    group the plan may delete; the same again for the verifying re-read.  Writes: the plan's (a new group is
    a POST and a PUT of its tags; the new rules of a group are one bulk POST).
    """
    desired = parse_declaration(declaration)
    observed = _reconcile.observe_for_plan(cloud_run.reads, cloud_run.project_id, desired, options)
    plan, warnings = planner.make_plan(desired, observed, options)
    deletable = len(planner.deletion_candidates(desired, observed, options)[0])
    writes = 0
    rule_batches = set()
    for op in plan:
        if op["action"] == "create_rule":
            rule_batches.add(op.get("group_ref") or op.get("group"))
        elif op["action"] == "create_group":
            writes += 2
        else:
            writes += 1
    reads = 2 + (1 if any(op["action"] == "create_group" for op in plan) else 0) + 2 * deletable
    return reads, writes + len(rule_batches)


def is_clear_failure(msg):
    """A failure message says what failed and what had (not) been done, in one line of prose."""
    if not msg or "Traceback" in msg:
        return False
    says_what_failed = " failed" in msg or "refused" in msg
    says_what_was_done = "nothing had been changed" in msg or "had completed" in msg
    return says_what_failed and says_what_was_done


class Watcher(object):
    """Polls the project's rules while a faulted run goes on (its own connection, its own thread).

    ``gaps(...)`` judges what it saw: a declared rule that existed before the run may be absent only
    while its replacement runs, i.e. from the DELETE of its old id until the first rule POST after it
    that succeeded (a create, or the restore), plus two polls; and it must be there at the end.
    """

    def __init__(self, project_id, cloud="netsec-admin", period=WATCH_PERIOD):
        self.conn = openstack.connect(cloud=cloud)
        self.project_id = project_id
        self.period = period
        self.samples = []  # (time, {(group name, key)})
        self._stop = threading.Event()
        self._thread = None

    def _poll(self):
        groups = dict((g.id, g.name) for g in self.conn.network.security_groups(project_id=self.project_id))
        seen = set()
        for rule in self.conn.network.security_group_rules(project_id=self.project_id):
            view = dict(rule.to_dict(), ethertype=rule.ether_type)
            seen.add((groups.get(rule.security_group_id), model.key_from_neutron(view)))
        return seen

    def _loop(self):
        while not self._stop.is_set():
            try:
                self.samples.append((time.time(), self._poll()))
            except Exception:  # a read that failed under load: the next poll counts
                pass
            self._stop.wait(self.period)

    def __enter__(self):
        self.samples = []
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()
        self.samples.append((time.time(), self._poll()))

    def gaps(self, before_rules, declaration, proxy_log):
        """[(problem text)] for the declared rules that existed before the run, from the samples."""
        declared = declared_rule_keys(declaration)
        watched = dict((identity, rule_id) for identity, rule_id in before_rules.items() if identity in declared)
        problems = []
        for identity, rule_id in sorted(watched.items(), key=lambda item: repr(item[0])):
            absent = [t for t, seen in self.samples if identity not in seen]
            if not absent:
                continue
            if identity not in self.samples[-1][1]:
                problems.append("rule %s of group %s is absent at the end of the run" % (_key_text(identity), identity[0]))
                continue
            allowed = _replacement_window(rule_id, proxy_log)
            if allowed is None:
                problems.append(
                    "rule %s of group %s was absent for %.2f s but its id %s was never deleted"
                    % (_key_text(identity), identity[0], absent[-1] - absent[0], rule_id)
                )
                continue
            start, end = allowed
            slack = 2 * self.period + 0.5
            outside = [t for t in absent if t < start - slack or t > end + slack]
            if outside:
                problems.append(
                    "rule %s of group %s was absent for %.2f s, longer than its delete->create pair "
                    "(%.2f s)" % (_key_text(identity), identity[0], absent[-1] - absent[0], end - start)
                )
        return problems, max([0.0] + [_span([t for t, seen in self.samples if i not in seen]) for i in watched])


def _span(times):
    return (times[-1] - times[0]) if times else 0.0


def _key_text(identity):
    key = identity[1]
    return "%s %s %s %s-%s" % (key.direction, key.ethertype, key.protocol, key.port_min, key.port_max)


def _replacement_window(rule_id, proxy_log):
    """(time of the DELETE of ``rule_id``, end of the first successful rule POST after it) from the proxy's log."""
    deleted = [e for e in proxy_log if e["method"] == "DELETE" and e["path"].split("?")[0].endswith("/" + rule_id)]
    if not deleted:
        return None
    start = deleted[0]["time"]
    for entry in proxy_log:
        if (
            entry["method"] == "POST"
            and entry["path"].split("?")[0].endswith("/security-group-rules")
            and entry["time"] >= start
            and entry.get("status") == 201
        ):
            return start, entry.get("t_end") or entry["time"]
    return start, time.time()


def declared_rule_keys(declaration):
    """{(group name, RuleKey)} of the declaration's rules whose remote is a CIDR (names resolve per run)."""
    keys = set()
    for group in parse_declaration(declaration).groups:
        for rule in group.rules or []:
            if rule.key.remote_kind == model.REMOTE_CIDR:
                keys.add((group.name, rule.key))
    return keys


def rules_before(conn, project_id):
    """{(group name, RuleKey): rule id} of the project's rules."""
    groups = dict((g.id, g.name) for g in conn.network.security_groups(project_id=project_id))
    found = {}
    for rule in conn.network.security_group_rules(project_id=project_id):
        view = dict(rule.to_dict(), ethertype=rule.ether_type)
        found[(groups.get(rule.security_group_id), model.key_from_neutron(view))] = rule.id
    return found


class Campaign(object):
    def __init__(self, admin, proxy, project, sentinels, clouds_path, workdir, seed, runs, ansible_every=10, log=print):
        self.admin = admin
        self.proxy = proxy
        self.project = project
        self.sentinels = sentinels
        self.clouds_path = clouds_path
        self.workdir = workdir
        self.seed = seed
        self.runs = runs
        self.ansible_every = ansible_every
        self.rng = random.Random(seed)
        self.generator = Generator(self.rng, sentinels.prefix)
        self.options = {"project": project.id, "purge_groups": True}
        # The campaign's own view of the project (estimates), opened like a module opens its run.
        self.cloud_run = open_run({"cloud": "netsec-admin"}, self.options)
        self.log = log
        self.figures = {
            "seed": seed,
            "runs": 0,
            "ansible_runs": 0,
            "faults_by_kind": collections.Counter(),
            "faults_fired": 0,
            "faults_not_reached": 0,
            "faulted_outcomes": collections.Counter(),
            "converged_on_rerun": 0,
            "not_converged_on_rerun": 0,
            "collateral_changes": 0,
            "violations": [],
            "seconds": 0.0,
            "iterations": [],
            "watched_runs": 0,
            "watch_polls": 0,
            "rules_absent_during_a_run": 0,
            "longest_absence_s": 0.0,
        }
        self.watcher = Watcher(project.id)

    def violation(self, index, kind, detail, record):
        entry = dict(record, violation=kind, detail=detail)
        self.figures["violations"].append(entry)
        self.log("  VIOLATION %s (iteration %d): %s" % (kind, index, detail[:600]))

    def converge(self, declaration):
        """Clean runs until the cloud matches; for the start and for repairs after a violation."""
        for _attempt in range(3):
            self.proxy.reset()
            outcome = run_inprocess(declaration, self.options)
            if outcome.ok and not mismatches(self.admin, self.project.id, declaration):
                return True
        return False

    def run(self):
        started = time.time()
        declaration = self.generator.base()
        assert self.converge(declaration), "the base declaration did not converge without faults"
        for index in range(1, self.runs + 1):
            declaration = self.iteration(index, declaration)
        self.figures["seconds"] = round(time.time() - started, 1)
        self.proxy.reset()
        return self.figures

    def iteration(self, index, previous):
        rng = self.rng
        declaration, changes = self.generator.change(previous)
        clock = [time.time()]
        reads, writes = estimate_requests(self.cloud_run, declaration, self.options)
        kind = rng.choice(CAMPAIGN_KINDS)
        if writes and rng.random() < 0.5:
            target, at, match = "write", rng.randint(1, writes), is_write
        else:
            target, at, match = "any", rng.randint(1, 2 * reads + writes), None
        via_ansible = self.ansible_every and index % self.ansible_every == 0
        record = {
            "iteration": index,
            "changes": changes,
            "kind": kind,
            "target": target,
            "at": at,
            "estimated": [reads, writes],
            "via": "ansible" if via_ansible else "inprocess",
        }
        before = project_snapshot(self.admin, self.project.id)
        before_rules = rules_before(self.admin, self.project.id)
        clock.append(time.time())
        self.proxy.reset()
        fault = self.proxy.arm(kind, at=at, match=match)
        timeout = FAULT_TIMEOUT if kind == "timeout" else CLEAN_TIMEOUT
        with self.watcher:
            if via_ansible:
                outcome = run_playbook(self.workdir, self.clouds_path, declaration, self.options, api_timeout=timeout)
                self.figures["ansible_runs"] += 1
            else:
                outcome = run_inprocess(declaration, self.options, api_timeout=timeout)
            time.sleep(0.5)  # a 'late' write lands after the run: watch it too
        self.proxy.disarm()
        problems, longest = self.watcher.gaps(before_rules, declaration, self.proxy.requests())
        self.figures["watched_runs"] += 1
        self.figures["watch_polls"] += len(self.watcher.samples)
        self.figures["longest_absence_s"] = round(max(self.figures["longest_absence_s"], longest), 2)
        if longest:
            self.figures["rules_absent_during_a_run"] += 1
        for problem in problems:
            self.violation(index, "declared rule absent", problem, record)
        clock.append(time.time())
        record["fired"] = dict((k, fault.fired[k]) for k in ("n", "method", "path")) if fault.fired else None
        record["requests"] = len(self.proxy.requests())
        self.figures["runs"] += 1
        self.figures["faults_by_kind"][kind] += 1
        self.figures["faults_fired" if fault.fired else "faults_not_reached"] += 1
        after_fault = mismatches(self.admin, self.project.id, declaration) if outcome.ok else None
        if outcome.ok:
            label = "succeeded, cloud matches" if not after_fault else "succeeded, cloud DIFFERS"
            if after_fault:
                self.violation(index, "success with the cloud not matching", "; ".join(after_fault), record)
        elif outcome.crashed:
            label = "crashed (traceback)"
            self.violation(index, "crash", outcome.msg, record)
        elif not is_clear_failure(outcome.msg):
            label = "failed, unclear message"
            self.violation(index, "unclear failure message", outcome.msg, record)
        elif "nothing had been changed" in outcome.msg and project_snapshot(self.admin, self.project.id) != before:
            label = "failed, says nothing changed but the cloud changed"
            self.violation(index, "failure message says nothing changed, but the cloud changed", outcome.msg, record)
        else:
            label = "failed with a clear message"
        record["outcome"] = label
        record["msg"] = outcome.msg
        self.figures["faulted_outcomes"][label] += 1
        # One clean re-run must converge exactly.
        clock.append(time.time())
        self.proxy.reset()
        rerun = run_inprocess(declaration, self.options)
        clock.append(time.time())
        left = mismatches(self.admin, self.project.id, declaration)
        if rerun.ok and not left:
            self.figures["converged_on_rerun"] += 1
            record["rerun"] = "converged"
        else:
            self.figures["not_converged_on_rerun"] += 1
            record["rerun"] = "not converged"
            self.violation(index, "clean re-run did not converge", (rerun.msg or "") + " | " + "; ".join(left), record)
            if not self.converge(declaration):
                self.log("  could not repair iteration %d: purging the campaign's groups" % index)
                delete_groups(
                    self.admin, lambda g: g.project_id == self.project.id and OWNER in (g.tags or []) and (g.name or "").startswith(self.sentinels.prefix + "g")
                )
                self.converge(declaration)
        collateral = self.sentinels.changes()
        if collateral:
            self.figures["collateral_changes"] += 1
            self.violation(index, "collateral change", "; ".join(collateral), record)
            self.sentinels.before = self.sentinels.snapshot()
        clock.append(time.time())
        record["seconds"] = [round(b - a, 2) for a, b in zip(clock, clock[1:])]
        self.figures["iterations"].append(record)
        self.log(
            "  %3d %-11s %-6s at %-3s %-9s fired=%-22s %s / rerun %s %s"
            % (
                index,
                kind,
                target,
                at,
                record["via"],
                ("%s %s" % (fault.fired["method"], fault.fired["path"].split("?")[0][-14:])) if fault.fired else "-",
                label,
                record["rerun"],
                record["seconds"],
            )
        )
        return declaration


def figures_table(figures):
    lines = [
        "seed %s, %d runs (%d through ansible-playbook), %.1f s" % (figures["seed"], figures["runs"], figures["ansible_runs"], figures["seconds"]),
        "faults by kind: %s" % ", ".join("%s %d" % (k, v) for k, v in sorted(figures["faults_by_kind"].items())),
        "faults that hit a request: %d; fault point past the run's last request: %d" % (figures["faults_fired"], figures["faults_not_reached"]),
        "faulted-run outcomes: %s" % ", ".join("%s %d" % (k, v) for k, v in sorted(figures["faulted_outcomes"].items())),
        "converged on the clean re-run: %d / %d" % (figures["converged_on_rerun"], figures["runs"]),
        "collateral changes to sentinels: %d" % figures["collateral_changes"],
        "watcher: %d faulted runs watched, %d polls, %d runs with a declared rule briefly absent (replacements), "
        "longest absence %.2f s" % (figures["watched_runs"], figures["watch_polls"], figures["rules_absent_during_a_run"], figures["longest_absence_s"]),
        "violations: %d" % len(figures["violations"]),
    ]
    return "\n".join(lines)


def write_figures(figures, name):
    os.makedirs(OUTPUT_DIR, exist_ok=True)
    path = os.path.join(OUTPUT_DIR, name)
    with open(path, "w") as handle:
        json.dump(figures, handle, indent=1, sort_keys=True, default=str)
    return path
