"""declarations_order: the waves of a multi-project run (issue 17: one run converges across projects)."""

from ansible_collections.netsec.openstack.plugins.filter.declarations_order import FilterModule, declarations_order


def _file(project, groups=(), refs=(), cloud="admin", label=None):
    """hostvars of one file: it declares ``groups`` (names) plus a group whose rules reference ``refs`` ((name, project))."""
    declared = [{"name": name, "shared_with": ["*"]} for name in groups]
    if refs:
        declared.append({"name": "uses", "rules": [{"remote_group": {"name": n, "project": p}} for n, p in refs] + [{"port": 22}]})
    data = {"declarations_data": {"groups": declared}, "netsec_file_cloud": cloud}
    if project is not None:
        data["declarations_data"]["project"] = project
    if label:
        data["netsec_file_label"] = label
    return data


def _order(hostvars):
    return declarations_order(sorted(hostvars), hostvars)


def test_a_provider_comes_before_the_file_that_references_it_whatever_the_sort_order():
    hostvars = {"a-uses.yml": _file("pb", refs=[("bastion", "pa")]), "z-provides.yml": _file("pa", groups=["bastion"])}
    order = _order(hostvars)
    assert order["waves"] == 2
    assert order["order"] == [["z-provides.yml"], ["a-uses.yml"]]
    assert order["cycles"] == []
    uses = order["files"]["a-uses.yml"]
    assert uses["wave"] == 1 and uses["depends_on"] == ["z-provides.yml"] and uses["cycle"] == []
    assert uses["planned_foreign_groups"] == [{"name": "bastion", "project": "pa"}]
    assert order["files"]["z-provides.yml"] == {"wave": 0, "depends_on": [], "depends_on_files": [], "cycle": [], "planned_foreign_groups": []}


def test_files_without_cross_references_share_one_wave():
    hostvars = {"a.yml": _file("pa", groups=["web"]), "b.yml": _file("pb", groups=["db"], refs=[("web", "elsewhere")])}
    order = _order(hostvars)
    assert order["waves"] == 1 and order["order"] == [["a.yml", "b.yml"]]
    assert order["files"]["b.yml"]["planned_foreign_groups"] == []


def test_a_chain_gives_one_wave_per_step_and_labels_name_the_files():
    hostvars = {
        "h1": _file("p1", refs=[("g2", "p2")], label="one.yml"),
        "h2": _file("p2", groups=["g2"], refs=[("g3", "p3")], label="two.yml"),
        "h3": _file("p3", groups=["g3"], label="three.yml"),
        "h4": _file("p4", refs=[("g3", "p3"), ("g2", "p2")], label="four.yml"),
    }
    order = _order(hostvars)
    assert order["order"] == [["three.yml"], ["two.yml"], ["one.yml", "four.yml"]]
    assert order["files"]["h4"]["depends_on_files"] == ["two.yml", "three.yml"]
    assert order["files"]["h4"]["planned_foreign_groups"] == [{"name": "g2", "project": "p2"}, {"name": "g3", "project": "p3"}]


def test_a_cycle_shares_a_wave_after_what_it_references_and_plans_no_placeholders_inside_it():
    hostvars = {
        "a.yml": _file("pa", groups=["ga", "base-user"], refs=[("gb", "pb"), ("base", "pc")]),
        "b.yml": _file("pb", groups=["gb"], refs=[("ga", "pa")]),
        "c.yml": _file("pc", groups=["base"]),
        "d.yml": _file("pd", refs=[("ga", "pa")]),
    }
    order = _order(hostvars)
    assert order["cycles"] == [["a.yml", "b.yml"]]
    assert order["order"] == [["c.yml"], ["a.yml", "b.yml"], ["d.yml"]]
    assert order["files"]["a.yml"]["cycle"] == ["a.yml", "b.yml"]
    # inside the cycle the group may not exist when the other file runs: no placeholder, the truth is "not found"
    assert order["files"]["a.yml"]["planned_foreign_groups"] == [{"name": "base", "project": "pc"}]
    assert order["files"]["b.yml"]["planned_foreign_groups"] == []
    assert order["files"]["d.yml"]["planned_foreign_groups"] == [{"name": "ga", "project": "pa"}]


def test_only_an_exact_spelling_of_a_declared_group_is_a_reference():
    hostvars = {
        "a.yml": _file("pa", groups=["bastion"]),
        "b.yml": _file("pb", refs=[("bastion", "PA")]),  # another spelling: not this file
        "d.yml": _file("pd", refs=[("monitoring", "pa")]),  # a group the file does not declare
        "e.yml": _file("pa-id", groups=["bastion"], refs=[("bastion", "pa-id")]),  # its own project
    }
    order = _order(hostvars)
    assert order["waves"] == 1
    assert all(not f["depends_on"] for f in order["files"].values())


def test_a_file_on_another_cloud_counts_unless_one_on_the_same_cloud_does():
    hostvars = {
        "a.yml": _file("pa", groups=["bastion"], cloud="platform-admin"),
        "b.yml": _file("pb", refs=[("bastion", "pa")], cloud="team-b"),  # other credentials, maybe the same cloud
        "r2-a.yml": _file("pa", groups=["bastion"], cloud="region-two"),
        "r2-b.yml": _file("pb", refs=[("bastion", "pa")], cloud="region-two"),  # its own cloud's file only
    }
    order = _order(hostvars)
    assert order["files"]["b.yml"]["depends_on"] == ["a.yml", "r2-a.yml"]
    assert order["files"]["r2-b.yml"]["depends_on"] == ["r2-a.yml"]
    assert order["files"]["b.yml"]["planned_foreign_groups"] == [{"name": "bastion", "project": "pa"}]
    assert order["order"] == [["a.yml", "r2-a.yml"], ["b.yml", "r2-b.yml"]]


def test_files_that_did_not_load_or_have_no_project_order_nothing():
    hostvars = {
        "broken.yml": {},
        "noproject.yml": _file(None, groups=["bastion"]),
        "odd.yml": {"declarations_data": {"project": "px", "groups": [{"name": "g", "rules": ["not a rule", {"remote_group": "local"}]}]}},
        "uses.yml": _file("pb", refs=[("bastion", "None")]),
        "missing-host": None,
    }
    hostvars = dict((k, v) for k, v in hostvars.items() if v is not None)
    order = declarations_order(["broken.yml", "noproject.yml", "odd.yml", "uses.yml", "missing-host"], hostvars)
    assert order["waves"] == 1 and order["cycles"] == []
    assert order["files"]["missing-host"]["wave"] == 0


def test_empty_run_and_registration():
    assert declarations_order([], {}) == {"waves": 1, "order": [[]], "cycles": [], "files": {}}
    assert FilterModule().filters()["declarations_order"] is declarations_order
