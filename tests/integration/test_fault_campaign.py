"""The seeded fault campaign (CI runs a short one; ``make campaign`` the full one).

NETSEC_CAMPAIGN_RUNS (default 30) and NETSEC_CAMPAIGN_SEED (default 8, so that
CI is repeatable; ``random`` draws one, printed) choose its size and seed; NETSEC_CAMPAIGN_ANSIBLE_EVERY (default 8)
how often the faulted run is a real ansible-playbook run.  Figures are printed
and written to tests/output/fault-campaign-<seed>-<runs>.json.
"""

import os
import random
import uuid

import pytest

from fault_campaign import Campaign, Sentinels, figures_table, write_figures
import fault_campaign

# The fault proxies and their clouds.yaml, as fixtures of this module.
fault_proxy = fault_campaign.fault_proxy
nova_fault_proxy = fault_campaign.nova_fault_proxy
faulty_clouds_file = fault_campaign.faulty_clouds_file


DEFAULT_SEED = 8


def _int_env(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


@pytest.fixture
def sentinels(admin, scratch_project, faulty_clouds_file):
    guards = Sentinels(admin, scratch_project, "c%s-" % uuid.uuid4().hex[:6])
    yield guards
    guards.cleanup()


def test_fault_campaign(admin, scratch_project, sentinels, fault_proxy, faulty_clouds_file, tmp_path, capsys):
    runs = _int_env("NETSEC_CAMPAIGN_RUNS", 30)
    seed = os.environ.get("NETSEC_CAMPAIGN_SEED") or str(DEFAULT_SEED)
    seed = random.SystemRandom().randrange(1, 10**6) if seed == "random" else int(seed)
    every = _int_env("NETSEC_CAMPAIGN_ANSIBLE_EVERY", 8)

    def log(line):
        with capsys.disabled():
            print(line, flush=True)

    log("\nfault campaign: seed %d, %d runs (NETSEC_CAMPAIGN_SEED=%d NETSEC_CAMPAIGN_RUNS=%d to repeat)" % (seed, runs, seed, runs))
    campaign = Campaign(admin, fault_proxy, scratch_project, sentinels, faulty_clouds_file, str(tmp_path), seed, runs, ansible_every=every, log=log)
    figures = campaign.run()
    path = write_figures(figures, "fault-campaign-%d-%d.json" % (seed, runs))
    log(figures_table(figures))
    log("figures: %s" % path)
    assert figures["runs"] == runs
    assert figures["ansible_runs"] >= (runs // every if every else 0)
    violations = figures["violations"]
    assert not violations, "%d violation(s), seed %d; first: %s" % (
        len(violations),
        seed,
        "\n".join("%(violation)s at iteration %(iteration)d (%(kind)s, %(target)s #%(at)d, fired %(fired)s): %(detail)s" % v for v in violations[:5]),
    )
