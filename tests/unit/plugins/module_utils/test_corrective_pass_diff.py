"""After a corrective pass, the diff still tells the truth: its after is what the cloud holds (issue 14)."""

import copy
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))

from fake_cloud import FakeCloud  # noqa: E402

from ansible_collections.netsec.openstack.plugins.module_utils import _reconcile as reconciler  # noqa: E402
from ansible_collections.netsec.openstack.plugins.module_utils._diff_view import group_diffs  # noqa: E402

OPTIONS = {"state": "present", "purge_rules": True, "purge_groups": False, "lock": False, "concurrency": 1, "lockout_guard": "ignore"}
SNEAKY = {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 22, "port_range_max": 22, "description": "sneaky"}


def test_a_template_the_cloud_did_not_report_is_removed_by_the_corrective_pass_and_the_diff_shows_the_end_state(monkeypatch):
    fake = FakeCloud()
    reported = copy.deepcopy(fake.templates)
    fake.templates.append(dict(SNEAKY))  # the cloud gives new groups a rule its template list does not show
    monkeypatch.setattr(fake, "default_rule_templates", lambda: copy.deepcopy(reported))
    monkeypatch.setattr(reconciler, "open_run", lambda auth, options, connect: fake.cloud_run(options))
    result = reconciler.reconcile({"groups": [{"name": "web", "rules": [{"protocol": "tcp", "port": 443}]}]}, OPTIONS, {}, False)
    assert any("applied the remaining 1 operation(s) too" in w for w in result["warnings"])
    # The plan lists the corrective delete ...
    assert [op["action"] for op in result["plan"]][-1] == "delete_rule" and result["plan"][-1]["rule"]["description"] == "sneaky"
    # ... and the diff's after is the end state the cloud holds (read back), not a made-up one.
    (group,) = [g for g in fake.groups.values() if g["name"] == "web"]
    held = sorted((r["direction"], r["protocol"], r.get("port_range_min")) for r in group["rules"])
    assert held == [("ingress", "tcp", 443)]
    (after,) = result["diff"]["after"]["security_groups"]
    assert [(r["direction"], r["protocol"], r.get("port")) for r in after["rules"]] == [("ingress", "tcp", 443)]
    assert result["diff"]["before"]["security_groups"] == []
    text = group_diffs(result["diff"])
    assert "tcp 22" not in str(text) and "tcp 443" in str(text)
