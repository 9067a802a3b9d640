"""Sharing (issue 17): shared_with planned exactly as RBAC policies; unshares refused while referenced."""

import pytest

from ansible_collections.netsec.openstack.plugins.module_utils import _drift as drift
from ansible_collections.netsec.openstack.plugins.module_utils import _features as features
from ansible_collections.netsec.openstack.plugins.module_utils import _operations as operations
from ansible_collections.netsec.openstack.plugins.module_utils import _plan as planner
from ansible_collections.netsec.openstack.plugins.module_utils import _sharing as sharing
from ansible_collections.netsec.openstack.plugins.module_utils._declaration import parse_declaration
from ansible_collections.netsec.openstack.plugins.module_utils._schema import DeclarationError

from test_plan import group, observed

PROJECTS = {"alpha": "a" * 32, "beta": "b" * 32, "b" * 32: "b" * 32}


def policy(pid, object_id, target, object_type="security_group"):
    return {"id": pid, "object_type": object_type, "object_id": object_id, "target_project_id": target}


def shared_state(policies=(), projects=None):
    return observed(
        [group("g1", "bastion", tags=["managed-by=netsec.openstack"])], rbac=list(policies), projects=dict(PROJECTS if projects is None else projects)
    )


def plan_for(shared_with, state, **options):
    declaration = {"groups": [{"name": "bastion", "shared_with": shared_with}]}
    return planner.make_plan(parse_declaration(declaration), state, dict(options, state="present"))[0]


def test_shares_missing_and_unshares_extra_projects_exactly():
    plan = plan_for(["alpha", "*"], shared_state([policy("r1", "g1", "b" * 32), policy("r2", "g1", "a" * 32)]))
    assert [(op["action"], op["target_project"]) for op in plan] == [("share", "*"), ("unshare", "b" * 32)]
    assert plan[1]["id"] == "r1" and plan[1]["object_id"] == "g1"
    after = planner.simulate(shared_state([policy("r1", "g1", "b" * 32), policy("r2", "g1", "a" * 32)]), plan)
    assert plan_for(["alpha", "*"], after) == []


def test_a_name_and_an_id_of_one_project_are_one_policy_and_no_op():
    assert plan_for(["beta", "b" * 32], shared_state([policy("r1", "g1", "b" * 32)])) == []


def test_omitted_shared_with_leaves_policies_alone_and_empty_list_removes_them():
    declaration = {"groups": [{"name": "bastion"}]}
    state = shared_state([policy("r1", "g1", "b" * 32)])
    assert planner.make_plan(parse_declaration(declaration), state, {"state": "present"})[0] == []
    assert [op["action"] for op in plan_for([], state)] == ["unshare"]


def test_policies_of_other_objects_and_kinds_are_not_touched():
    state = shared_state([policy("r1", "other", "b" * 32), policy("r2", "g1", "b" * 32, "address_group")])
    assert [op["action"] for op in plan_for([], state)] == []


def test_a_new_group_is_shared_after_it_is_created():
    state = observed(rbac=[], projects=dict(PROJECTS))
    plan = planner.make_plan(parse_declaration({"groups": [{"name": "new", "rules": [], "shared_with": ["alpha"]}]}), state, {"state": "present"})[0]
    assert plan[0]["action"] == "create_group" and plan[-1]["action"] == "share"
    assert plan[-1]["object_ref"] == planner.placeholder("new")
    assert operations.quota_steps([plan[-1]]) == [{"rbac_policy": 1}]  # a policy counts in quota rbac_policy


def test_unknown_project_is_an_error_naming_the_path():
    with pytest.raises(planner.PlanError) as caught:
        plan_for(["nobody"], shared_state(projects={"nobody": None}))
    assert "groups[0].shared_with: project 'nobody' not found" in str(caught.value)


def test_schema_refuses_a_non_list_and_duplicates():
    for bad in ("alpha", ["alpha", "alpha"], [""]):
        with pytest.raises(DeclarationError) as caught:
            parse_declaration({"groups": [{"name": "x", "shared_with": bad}]})
        assert "groups[0].shared_with" in str(caught.value)


def test_unshare_is_refused_while_the_project_s_rules_reference_the_group():
    state = shared_state([policy("r1", "g1", "b" * 32)])
    plan = plan_for([], state)
    referencing = {
        ("security_group", "g1"): [
            {"id": "x1", "security_group_id": "app", "project_id": "b" * 32},
            {"id": "x2", "security_group_id": "g9", "project_id": "p1"},
        ]
    }
    refusals = sharing.unshare_refusals(plan, state, referencing, "p1")
    assert len(refusals) == 1 and "b" * 32 in refusals[0] and "x1" in refusals[0] and "force_unshare" in refusals[0]
    assert "x2" not in refusals[0]  # the owner's own rule does not count
    # still shared with everyone after the plan: nobody loses access
    plan = plan_for(["*"], state)
    assert sharing.unshare_refusals(plan, state, referencing, "p1") == []
    # a project that never had access does not block
    other = {("security_group", "g1"): [{"id": "x3", "security_group_id": "s", "project_id": "c" * 32}]}
    assert sharing.unshare_refusals(plan_for([], state), state, other, "p1") == []


def test_removing_everyone_blocks_on_any_other_project_s_rule():
    state = shared_state([policy("r1", "g1", "*")])
    plan = plan_for(["alpha"], state)
    referencing = {
        ("security_group", "g1"): [
            {"id": "x1", "security_group_id": "s", "project_id": "c" * 32},
            {"id": "x2", "security_group_id": "s", "project_id": "a" * 32},
        ]
    }
    refusals = sharing.unshare_refusals(plan, state, referencing, "p1")
    assert len(refusals) == 1 and "c" * 32 in refusals[0] and "x2" not in refusals[0]


def test_share_and_unshare_are_inverses_and_drift_words():
    share = {"action": "share", "object_type": "security_group", "group": "bastion", "object_ref": "g1", "target_project": "a" * 32, "project": "alpha"}
    back = operations.kind_of(share).inverse(share)
    assert back["action"] == "unshare" and back["object_id"] == "g1"
    assert operations.kind_of(back).inverse(back)["action"] == "share"
    change, fields = operations.kind_of(share).drift(share, drift)
    assert change == "create" and fields["what"] == "shared with project alpha"
    change, fields = operations.kind_of(back).drift(dict(back, target_project="*"), drift)
    assert change == "delete" and fields["what"] == "no longer shared with every project (*)"


def test_shared_with_needs_the_rbac_extensions():
    desired = parse_declaration({"groups": [{"name": "g", "shared_with": []}], "address_groups": [{"name": "a", "shared_with": ["*"]}]})
    missing = features.missing(features.declaration_uses(desired), frozenset(["address_groups"]))
    assert any("groups[0].shared_with" in m and "rbac-security-groups" in m for m in missing)
    assert any("address_groups[0].shared_with" in m and "rbac-address-group" in m for m in missing)
    assert features.missing(features.declaration_uses(parse_declaration({"groups": [{"name": "g"}]})), frozenset()) == []


def test_export_writes_shared_with_only_for_shared_objects():
    inventory = {"rbac": [policy("r1", "g1", "b" * 32), policy("r2", "g1", "*"), policy("r3", "a1", "*", "address_group")]}
    assert sharing.with_shared_with({"name": "x"}, inventory, "security_group", "g1")["shared_with"] == ["*", "b" * 32]
    assert "shared_with" not in sharing.with_shared_with({"name": "y"}, inventory, "security_group", "g2")
    assert sharing.with_shared_with({"name": "a"}, inventory, "address_group", "a1")["shared_with"] == ["*"]
    assert sharing.shared_object_ids(
        parse_declaration({"groups": [{"name": "bastion", "shared_with": []}, {"name": "other"}]}), observed([group("g1", "bastion"), group("g2", "other")])
    ) == ["g1"]


def test_a_rule_names_a_group_of_another_project():
    declaration = {"groups": [{"name": "app", "rules": [{"protocol": "tcp", "port": 22, "remote_group": {"name": "bastion", "project": "alpha"}}]}]}
    state = observed(
        [group("g2", "app", rules=[])],
        projects=dict(PROJECTS),
        foreign_groups={"a" * 32: [{"id": "fg", "name": "bastion", "project_id": "a" * 32}]},
        known_groups={"fg": {"id": "fg", "name": "bastion", "project_id": "a" * 32}},
    )
    plan = planner.make_plan(parse_declaration(declaration), state, {"state": "present"})[0]
    assert [(op["action"], op["body"].get("remote_group_id")) for op in plan] == [("create_rule", "fg")]
    assert planner.make_plan(parse_declaration(declaration), planner.simulate(state, plan), {"state": "present"})[0] == []
    state["foreign_groups"]["a" * 32].append({"id": "fg2", "name": "bastion", "project_id": "a" * 32})
    with pytest.raises(planner.PlanError) as caught:
        planner.make_plan(parse_declaration(declaration), state, {"state": "present"})
    assert "groups[0].rules[0].remote_group: security group name 'bastion' is ambiguous in project alpha" in str(caught.value)
    with pytest.raises(DeclarationError):
        parse_declaration({"groups": [{"name": "app", "rules": [{"remote_group": {"name": "bastion"}}]}]})


def test_drift_files_an_address_group_share_under_the_address_group():
    share = {"action": "share", "object_type": "address_group", "address_group": "monitoring", "object_ref": "a1", "target_project": "*"}
    objects, order = drift._group_changes([share])
    assert order == [("address_group", "monitoring")]
    assert objects[order[0]][0]["what"] == "shared with every project (*)"


def test_default_rule_templates_refuse_a_group_of_another_project():
    from ansible_collections.netsec.openstack.plugins.module_utils import _default_rules as default_rules

    with pytest.raises(Exception) as caught:
        default_rules.parse_templates([{"remote_group": {"name": "bastion", "project": "alpha"}}])
    assert "remote_group" in str(caught.value) and "not as {name, project}" in str(caught.value)


def test_a_group_another_file_of_the_run_creates_is_a_placeholder_in_check_mode_only():
    declaration = parse_declaration(
        {"groups": [{"name": "app", "rules": [{"protocol": "tcp", "port": 22, "remote_group": {"name": "bastion", "project": "alpha"}}]}]}
    )
    state = observed([group("g2", "app", rules=[])], projects=dict(PROJECTS), foreign_groups={"a" * 32: []})
    with pytest.raises(planner.PlanError, match="no security group 'bastion' in project alpha"):
        planner.make_plan(declaration, state, {"state": "present"})
    state["planned_foreign_groups"] = {("bastion", "alpha")}
    plan = planner.make_plan(declaration, state, {"state": "present"})[0]
    assert [(op["action"], op["body"].get("remote_group_id")) for op in plan] == [("create_rule", "new:bastion (project alpha)")]
    assert planner.Names(state).group(plan[0]["body"]["remote_group_id"]) == "bastion (project alpha)"
    # another spelling of the project, or another name, is not the planned group
    for planned in ({("bastion", "a" * 32)}, {("monitoring", "alpha")}):
        state["planned_foreign_groups"] = planned
        with pytest.raises(planner.PlanError, match="no security group 'bastion' in project alpha"):
            planner.make_plan(declaration, state, {"state": "present"})
    # a project that does not exist is an error even when planned
    state["planned_foreign_groups"] = {("bastion", "nowhere")}
    missing = parse_declaration({"groups": [{"name": "app", "rules": [{"remote_group": {"name": "bastion", "project": "nowhere"}}]}]})
    with pytest.raises(planner.PlanError, match="project 'nowhere' not found"):
        planner.make_plan(missing, dict(state, projects=dict(PROJECTS, nowhere=None)), {"state": "present"})
