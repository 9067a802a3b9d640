"""Bad input: a corpus of invalid declarations, each refused before any request reaches the cloud.

Every case runs its module for real (ansible-playbook, the local cloud) and
checks three things: the task failed; the message names the field path and
what is expected; and the cloud saw no request at all (no token request to
Keystone, nothing to Neutron or Nova), or, for the cases where only a
lookup can tell (unknown or ambiguous names), reads only.

To keep ~80 module runs fast, cases are batched: a few playbooks run in
parallel, each with many tasks, and every task talks to the cloud through
its own path prefix of a multiplexing counting proxy (``/<case>/<service>``),
so requests are attributed per case whatever runs concurrently.
"""

import json
import os
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from bad_input_cases import CASES, DUP, LIVE, LIVE_CASES, MISSING, SERVER, TWIN
from conftest import KEYSTONE_PORT, NEUTRON_PORT, boot_servers, delete_groups, delete_servers, require_compute
from counting_proxy import MuxProxy
from playbook_runs import ansible_playbook

UPSTREAMS = {"identity": ("127.0.0.1", KEYSTONE_PORT), "network": ("127.0.0.1", NEUTRON_PORT), "compute": ("127.0.0.1", 8774)}


def substitute(value, names):
    if isinstance(value, str):
        for placeholder, real in names.items():
            value = value.replace(placeholder, real)
        return value
    if isinstance(value, list):
        return [substitute(v, names) for v in value]
    if isinstance(value, dict):
        return dict((substitute(k, names), substitute(v, names)) for k, v in value.items())
    return value


@pytest.fixture(scope="module")
def mux():
    proxy = MuxProxy(UPSTREAMS).start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def lookups(admin):
    """What the lookup cases look up: two groups sharing a name, a server, two servers sharing a name.

    Yields (names, boot): the servers boot in the background (``boot`` is a
    future) while the cases that need no lookup run.
    """
    require_compute()
    tag = "bad-input-%s" % os.urandom(4).hex()
    names = {SERVER: tag + "-srv", TWIN: tag + "-twin", DUP: tag + "-dup", MISSING: tag + "-missing"}
    groups = [admin.network.create_security_group(name=names[DUP]) for _index in range(2)]
    with ThreadPoolExecutor(max_workers=1) as background:
        boot = background.submit(boot_servers, admin, [names[SERVER], names[TWIN], names[TWIN]])
        try:
            yield names, boot
        finally:
            delete_servers(admin, boot.result())
            delete_groups(admin, lambda g: g.id in [x.id for x in groups] or (g.name or "").startswith(tag))


@pytest.fixture(scope="module")
def corpus_results(clouds_file, mux, lookups, tmp_path_factory):
    """Run every live case; return {case id: (result, requests)}.

    Three playbooks run at once: two with the cases that need no lookup
    (started while the servers boot), one with the lookup cases (once they
    are up).
    """
    names, boot = lookups
    with open(clouds_file) as handle:
        config = yaml.safe_load(handle)
    base = config["clouds"]["netsec-admin"]
    for index, _case in enumerate(LIVE_CASES):
        twin = json.loads(json.dumps(base))
        prefix = "%s/c%d" % (mux.url, index)
        twin["auth"]["auth_url"] = prefix + "/identity/v3"
        twin["network_endpoint_override"] = prefix + "/network/"
        twin["compute_endpoint_override"] = prefix + "/compute/v2.1/"
        config["clouds"]["bad-input-%d" % index] = twin
    workdir = tmp_path_factory.mktemp("bad-input")
    clouds = workdir / "clouds.yaml"
    clouds.write_text(yaml.safe_dump(config))

    def playbook(indexes):
        if any(LIVE_CASES[index][5] == "lookup" for index in indexes):
            boot.result()
        tasks = []
        for index in indexes:
            module, args = LIVE_CASES[index][1], substitute(LIVE_CASES[index][2], names)
            tasks.append({"name": LIVE_CASES[index][0], module: dict(args, cloud="bad-input-%d" % index), "register": "case_%d" % index, "ignore_errors": True})
        results = "{" + ", ".join("'%d': case_%d" % (i, i) for i in indexes) + "}"
        out = str(workdir / ("results-%d.json" % indexes[0]))
        tasks.append({"name": "save", "ansible.builtin.copy": {"content": "{{ %s | to_json }}" % results, "dest": out, "mode": "0600"}})
        path = workdir / ("playbook-%d.yml" % indexes[0])
        path.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
        completed = ansible_playbook(path, str(clouds), workdir)
        if not os.path.exists(out):
            raise AssertionError("ansible-playbook failed (%d):\n%s" % (completed.returncode, completed.stdout + completed.stderr))
        with open(out) as handle:
            return json.load(handle)

    offline = [index for index, case in enumerate(LIVE_CASES) if case[5] != "lookup"]
    chunks = [offline[0::2], offline[1::2], [index for index, case in enumerate(LIVE_CASES) if case[5] == "lookup"]]
    results = {}
    with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
        for chunk in pool.map(playbook, chunks):
            results.update(chunk)
    return dict((LIVE_CASES[int(i)][0], (result, mux.of("c%s" % i))) for i, result in results.items())


def test_the_corpus_is_large_and_its_ids_unique():
    assert len(LIVE_CASES) >= 60
    assert len(set(case[0] for case in CASES)) == len(CASES)
    assert LIVE <= set(case[0] for case in CASES if case[5] == "pure")


@pytest.mark.parametrize("case_id,module,args,path,words,kind", LIVE_CASES, ids=[case[0] for case in LIVE_CASES])
def test_bad_input_is_refused_before_any_request(corpus_results, lookups, case_id, module, args, path, words, kind):
    result, requests = corpus_results[case_id]
    names = lookups[0]
    message = result.get("msg") or ""
    assert result.get("failed") is True, "accepted: %s" % json.dumps(result)[:2000]
    assert result.get("changed") is False
    words = substitute(words, names)
    for expected in [path] + words:
        assert expected in message, "%r not in the message:\n%s" % (expected, message)
    writes = [r for r in requests if r[1] not in ("GET", "HEAD") and not (r[0] == "identity" and r[2].endswith("/auth/tokens"))]
    if kind == "lookup":
        assert not writes, "a lookup case wrote: %s" % writes
        assert any(r[0] in ("network", "compute") for r in requests), "expected the lookup to read: %s" % requests
    else:
        assert requests == [], "requests before the error: %s" % requests


def test_the_lookup_fixtures_are_what_the_cases_assume(admin, lookups):
    """Guards the lookup cases against passing for the wrong reason."""
    lookups = lookups[0]
    assert len(list(admin.network.security_groups(name=lookups[DUP]))) == 2
    assert len([s for s in admin.compute.servers() if s.name == lookups[TWIN]]) == 2
    assert admin.compute.find_server(lookups[SERVER]) is not None
    assert admin.network.find_security_group(lookups[MISSING]) is None
