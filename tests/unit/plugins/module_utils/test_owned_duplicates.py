"""Several groups of one declared name (fault finding F2): the oldest tagged copy is the group, other tagged
copies are deleted, untagged ones left alone with a warning; without a tagged copy the name stays ambiguous."""

import pytest

from ansible_collections.netsec.openstack.plugins.module_utils import _plan as planner
from ansible_collections.netsec.openstack.plugins.module_utils._declaration import parse_declaration

OWNER = "managed-by=netsec.openstack"
PROJECT = "p1"


def group(group_id, name, created_at, tags=(OWNER,), project_id=PROJECT, rules=()):
    return {
        "id": group_id,
        "name": name,
        "description": "",
        "stateful": True,
        "tags": sorted(tags),
        "project_id": project_id,
        "created_at": created_at,
        "rules": list(rules),
    }


def observed(groups, usage=None):
    return {
        "project_id": PROJECT,
        "groups": groups,
        "address_groups": [],
        "known_groups": {},
        "known_address_groups": {},
        "templates": [],
        "usage": usage or {},
        "address_group_usage": {},
    }


def no_usage(*ids):
    return dict((group_id, {"ports": [], "rules": []}) for group_id in ids)


DESIRED = parse_declaration({"groups": [{"name": "web", "rules": []}]})


def test_the_newer_copy_of_an_owned_group_is_deleted():
    state = observed([group("b-new", "web", "2026-11-30T05:00:09Z"), group("a-old", "web", "2026-11-30T05:00:05Z")], usage=no_usage("b-new"))
    assert planner.owned_duplicates(DESIRED, state, {}) == {"b-new": ("web", "a-old")}
    assert planner.deletion_candidates(DESIRED, state, {}) == (["b-new"], [])
    plan, warnings = planner.make_plan(DESIRED, state, {})
    assert [(op["action"], op["id"]) for op in plan] == [("delete_group", "b-new")]
    assert "kept a-old" in plan[0]["reason"]


def test_same_creation_time_keeps_the_smaller_id():
    state = observed([group("b", "web", "2026-11-30T05:00:05Z"), group("a", "web", "2026-11-30T05:00:05Z")], usage=no_usage("b"))
    assert planner.owned_duplicates(DESIRED, state, {}) == {"b": ("web", "a")}


def test_a_copy_in_use_is_not_deleted():
    state = observed(
        [group("b-new", "web", "2026-11-30T05:00:09Z"), group("a-old", "web", "2026-11-30T05:00:05Z")],
        usage={"b-new": {"ports": [{"id": "port-1", "name": "", "device_id": "srv", "device_owner": "compute:nova"}], "rules": []}},
    )
    with pytest.raises(planner.PlanError) as failure:
        planner.make_plan(DESIRED, state, {})
    assert "in use by 1 port(s)" in str(failure.value)


def test_an_untagged_namesake_is_left_alone_with_a_warning():
    """A lost create that landed late: born untagged (Neutron takes no tags in the POST)."""
    state = observed([group("b-late", "web", "2026-11-30T05:00:09Z", tags=()), group("a-old", "web", "2026-11-30T05:00:05Z")])
    assert planner.owned_duplicates(DESIRED, state, {}) == {}
    assert planner.untagged_namesakes(DESIRED, state, {}) == {"b-late": ("web", "a-old")}
    plan, warnings = planner.make_plan(DESIRED, state, {})
    assert plan == []
    assert len(warnings) == 1 and "b-late" in warnings[0] and "left alone" in warnings[0]


def test_two_tagged_and_one_untagged():
    state = observed(
        [group("c-late", "web", "2026-11-30T05:00:11Z", tags=()), group("b-new", "web", "2026-11-30T05:00:09Z"), group("a-old", "web", "2026-11-30T05:00:05Z")],
        usage=no_usage("b-new"),
    )
    plan, warnings = planner.make_plan(DESIRED, state, {})
    assert [(op["action"], op["id"]) for op in plan] == [("delete_group", "b-new")]
    assert "c-late" in warnings[0]


@pytest.mark.parametrize(
    "others",
    [
        [group("b", "web", "2026-11-30T05:00:09Z", tags=()), group("a", "web", "2026-11-30T05:00:05Z", tags=())],
        [group("b", "web", "2026-11-30T05:00:09Z", project_id="p2"), group("a", "web", "2026-11-30T05:00:05Z", tags=())],
    ],
)
def test_without_a_tagged_copy_in_the_project_the_name_stays_ambiguous(others):
    state = observed(others)
    assert planner.owned_duplicates(DESIRED, state, {}) == {} and planner.untagged_namesakes(DESIRED, state, {}) == {}
    with pytest.raises(planner.PlanError) as failure:
        planner.make_plan(DESIRED, state, {})
    assert "ambiguous" in str(failure.value)


def test_state_absent_is_unchanged():
    state = observed([group("b-new", "web", "2026-11-30T05:00:09Z"), group("a-old", "web", "2026-11-30T05:00:05Z")])
    assert planner.owned_duplicates(DESIRED, state, {"state": "absent"}) == {}
