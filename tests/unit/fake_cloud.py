"""An in-memory Neutron behind the cloud layer's interface, for the fast test tier.

``FakeCloud`` implements the methods of ``_cloud.reads.Reads`` the engine
uses (observe, templates, usage, ports, quota details) and every method of
``_cloud.writes.Writes``, with Neutron's semantics as we know them:

- a rule is stored as Neutron rewrites it (``_model``'s canonical key);
- a create identical but for the description is 409 naming the existing rule;
- bulk creates are all or none;
- quotas: over the limit is 409 OverQuota (``set_quota``; -1 unlimited);
- a group worn by a port can't be deleted, nor its ``stateful`` changed (409 in use);
- deleting a group deletes the rules of other groups that reference it;
- a new group gets the template rules;
- a rule belongs to the project its body names, else to the caller's project (``caller_project``: an
  admin working in another project makes rules of its own project unless the body says otherwise);
- sharing: RBAC policies (``access_as_shared``), 409 for a duplicate, quota ``rbac_policy`` counted in
  the policy's project; ``projects`` maps the names and ids a declaration may use to project ids.

Faults: ``fail(method, status, times=1, when=None, retry_after=None)`` makes
the next matching calls raise the SDK exception Neutron's answer would give
(so the cloud layer's translation and retries run for real); 429 and 503
are retried by the layer, sleeping through ``Calls.sleep`` (recorded, not slept).
"""

import copy
import itertools
import types
import uuid

from openstack import exceptions as sdk_exceptions

from ansible_collections.netsec.openstack.plugins.module_utils import _executor as executor
from ansible_collections.netsec.openstack.plugins.module_utils import _features
from ansible_collections.netsec.openstack.plugins.module_utils import _model as model
from ansible_collections.netsec.openstack.plugins.module_utils import _sharing as sharing
from ansible_collections.netsec.openstack.plugins.module_utils._cloud import calls as calls_module
from ansible_collections.netsec.openstack.plugins.module_utils._cloud import read_groups
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.connection import CloudRun, RequestCounter, RunOptions

PROJECT = "p1"
TEMPLATES = [
    {"direction": "egress", "ethertype": "IPv4", "used_in_default_sg": True, "used_in_non_default_sg": True},
    {"direction": "egress", "ethertype": "IPv6", "used_in_default_sg": True, "used_in_non_default_sg": True},
]


def http_error(status, message, retry_after=None, neutron_type=None):
    exc = sdk_exceptions.HttpException(message=message, http_status=status)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    body = {"NeutronError": {"type": neutron_type or "", "message": message, "detail": ""}}
    exc.response = types.SimpleNamespace(status_code=status, headers=headers, json=lambda: body)
    return exc


class FakeCloud(object):
    def __init__(self, project_id=PROJECT, templates=None):
        self.project_id = project_id
        self.caller_project = project_id
        self.projects = {}
        self.rbac = {}
        self.templates = copy.deepcopy(TEMPLATES if templates is None else templates)
        self.groups = {}
        self.address_groups = {}
        self.ports = []
        self.limits = {"security_group": -1, "security_group_rule": -1, "rbac_policy": -1}
        self.ids = itertools.count(1)
        self.faults = []
        self.log = []  # (method, detail) of every write, in order
        self.observed_scopes = []  # the group_names of every observe call (None: the whole project)
        self.sleeps = []
        self.calls = calls_module.Calls(sleep=self.sleeps.append)

    # --- set-up -----------------------------------------------------------------

    def _id(self, prefix):
        """A UUID, as Neutron's (the layer finds the existing rule's id in a 409 by its shape)."""
        number = next(self.ids)
        return str(uuid.UUID(int=(hash(prefix) % 4096) << 64 | number))

    def add_group(self, name, rules=(), tags=(model.OWNER_TAG,), stateful=True, description=""):
        group_id = self._id("sg")
        self.groups[group_id] = {
            "id": group_id,
            "name": name,
            "description": description,
            "stateful": stateful,
            "tags": sorted(tags),
            "project_id": self.project_id,
            "created_at": "2026-01-01T00:00:%02d" % len(self.groups),
            "rules": [],
        }
        for rule in rules:
            self._store_rule(dict(rule, security_group_id=group_id))
        return group_id

    def add_port(self, group_ids, project_id=None):
        self.ports.append(
            {
                "project_id": project_id or self.project_id,
                "id": self._id("port"),
                "name": "",
                "device_id": self._id("server"),
                "device_owner": "compute:nova",
                "fixed_ips": ["10.0.0.%d" % (len(self.ports) + 5)],
                "security_group_ids": list(group_ids),
            }
        )

    def set_quota(self, resource, limit):
        self.limits[resource] = limit

    def fail(self, method, status, times=1, when=None, retry_after=None, message=None, neutron_type=None, after=False):
        """``after``: the call is carried out, then answered with the error (a lost answer)."""
        self.faults.append(
            {
                "method": method,
                "status": status,
                "times": times,
                "when": when,
                "retry_after": retry_after,
                "message": message,
                "type": neutron_type,
                "after": after,
            }
        )

    def rules(self):
        return [r for g in self.groups.values() for r in g["rules"]]

    def rule_keys(self, group_id):
        return sorted((model.sort_key_of_rule_key(model.key_from_neutron(r)), r["description"]) for r in self.groups[group_id]["rules"])

    # --- Neutron ------------------------------------------------------------------

    def _fault(self, method, detail, after=False):
        for fault in self.faults:
            if fault["after"] != after:
                continue
            if fault["method"] == method and fault["times"] > 0 and (fault["when"] is None or fault["when"](detail)):
                fault["times"] -= 1
                raise http_error(fault["status"], fault["message"] or "injected %d" % fault["status"], fault["retry_after"], fault["type"])

    def _neutron(self, method, what, detail, func, retry=True):
        def attempt():
            self._fault(method, detail)
            result = func()
            self.log.append((method, detail))
            self._fault(method, detail, after=True)
            return result

        return self.calls.call(what, attempt, retry=retry)

    def _used(self, resource):
        if resource == "rbac_policy":
            return len([p for p in self.rbac.values() if p["project_id"] == self.project_id])
        return len(self.groups) if resource == "security_group" else len(self.rules())

    def _room(self, resource, more):
        limit = self.limits[resource]
        used = self._used(resource)
        if limit >= 0 and used + more > limit:
            raise http_error(409, "Quota exceeded for resources: ['%s']." % resource, neutron_type="OverQuota")

    def _stored(self, body):
        key = model.key_from_neutron(body)
        stored = model.neutron_body(key, body.get("description") or "", body["security_group_id"])
        for field in ("remote_ip_prefix", "remote_group_id", "remote_address_group_id", "protocol", "port_range_min", "port_range_max"):
            stored.setdefault(field, None)
        return key, stored

    def _check_new_rule(self, body, also=()):
        if body["security_group_id"] not in self.groups:
            raise http_error(404, "Security group %s does not exist" % body["security_group_id"])
        key, stored = self._stored(body)
        for rule in list(self.groups[body["security_group_id"]]["rules"]) + list(also):
            if model.key_from_neutron(rule) == key:
                raise http_error(409, "Security group rule already exists. Rule id is %s." % rule["id"])
        return stored

    def _store_rule(self, body):
        stored = dict(self._check_new_rule(body), id=self._id("rule"), project_id=body.get("project_id") or self.caller_project)
        self.groups[body["security_group_id"]]["rules"].append(stored)
        return stored

    # --- writes (the interface of _cloud.writes.Writes) ----------------------------

    def create_group(self, body):
        def make():
            self._room("security_group", 1)
            self._room("security_group_rule", len(self.templates))
            group_id = self.add_group(body["name"], tags=(), stateful=body.get("stateful", True), description=body.get("description", ""))
            for template in self.templates:
                if template.get("used_in_non_default_sg", True):
                    rule = dict((k, v) for k, v in template.items() if not k.startswith("used_in"))
                    self._store_rule(dict(rule, security_group_id=group_id))
            return copy.deepcopy(self.groups[group_id])

        return self._neutron("create_group", body["name"], body, make, retry=False)

    def groups_named(self, project_id, names):
        def listed():
            return [copy.deepcopy(g) for g in self.groups.values() if g["name"] in set(names)]

        return self._neutron("groups_named", "listing security groups named %s" % sorted(names), sorted(names), listed)

    def set_group_tags(self, group_id, tags, name):
        self._neutron("set_group_tags", "tagging %s" % name, group_id, lambda: self.groups[group_id].__setitem__("tags", sorted(tags)))

    def update_group(self, group_id, attributes, name):
        def update():
            if "stateful" in attributes and any(group_id in p["security_group_ids"] for p in self.ports):
                raise http_error(409, "Security Group %s in use." % group_id, neutron_type="SecurityGroupInUse")
            self.groups[group_id].update(attributes)

        self._neutron("update_group", "updating security group %s" % name, group_id, update)

    def delete_group(self, group_id, name):
        def delete():
            if any(group_id in p["security_group_ids"] for p in self.ports):
                raise http_error(409, "Security Group %s in use." % group_id, neutron_type="SecurityGroupInUse")
            self.groups.pop(group_id, None)
            self.rbac = dict((k, p) for k, p in self.rbac.items() if p["object_id"] != group_id)  # Neutron deletes its policies
            for group in self.groups.values():
                group["rules"] = [r for r in group["rules"] if r.get("remote_group_id") != group_id]

        self._neutron("delete_group", "deleting security group %s (%s)" % (name, group_id), group_id, delete)

    def create_rules(self, bodies, group_name):
        def make():
            self._room("security_group_rule", len(bodies))
            checked = []
            for body in bodies:
                checked.append(dict(self._check_new_rule(body, checked), id="pending"))
            return [self._store_rule(body) for body in bodies]

        return copy.deepcopy(self._neutron("create_rules", "creating %d rule(s) in group %s" % (len(bodies), group_name), bodies, make))

    def create_rule(self, body, what):
        def make():
            self._room("security_group_rule", 1)
            return self._store_rule(body)

        return copy.deepcopy(self._neutron("create_rule", what, body, make))

    def delete_rule(self, rule_id, what):
        def delete():
            for group in self.groups.values():
                group["rules"] = [r for r in group["rules"] if r["id"] != rule_id]

        self._neutron("delete_rule", what, rule_id, delete)

    def create_rbac_policy(self, object_type, object_id, target_project, name, project_id=None):
        def make():
            for policy in self.rbac.values():
                if (policy["object_type"], policy["object_id"], policy["target_project_id"]) == (object_type, object_id, target_project):
                    raise http_error(409, "An RBAC policy already exists with those values.", neutron_type="DuplicateRbacPolicy")
            self._room("rbac_policy", 1)
            policy_id = self._id("rbac")
            self.rbac[policy_id] = {
                "id": policy_id,
                "object_type": object_type,
                "object_id": object_id,
                "target_project_id": target_project,
                "project_id": project_id or self.caller_project,
            }
            return dict(self.rbac[policy_id])

        return self._neutron(
            "create_rbac_policy", "sharing %s %s with %s" % (object_type, name, target_project), (object_id, target_project), make, retry=False
        )

    def rbac_policy_of(self, object_type, object_id, target_project):
        def listed():
            found = [
                dict(p) for p in self.rbac.values() if (p["object_type"], p["object_id"], p["target_project_id"]) == (object_type, object_id, target_project)
            ]
            return found[0] if found else None

        return self._neutron("read_rbac_policy", "listing the sharing policies of %s" % object_id, (object_id, target_project), listed)

    def delete_rbac_policy(self, policy_id, what):
        self._neutron("delete_rbac_policy", "deleting the sharing policy %s of %s" % (policy_id, what), policy_id, lambda: self.rbac.pop(policy_id, None))

    def set_port_groups(self, port_id, group_ids, what):
        def update():
            for port in self.ports:
                if port["id"] == port_id:
                    port["security_group_ids"] = list(group_ids)

        self._neutron("set_port_groups", what, port_id, update)

    # --- reads (the part of _cloud.reads.Reads the engine uses) -------------------

    @property
    def retried(self):
        return self.calls.retried

    def observe(self, project_id, desired, need_templates, group_names=None):
        self.observed_scopes.append(group_names)
        observed = {
            "project_id": project_id,
            "groups": copy.deepcopy([g for g in self.groups.values() if not group_names or g["name"] in group_names]),
            "address_groups": copy.deepcopy(list(self.address_groups.values())),
            "known_groups": {},
            "known_address_groups": {},
            "templates": self.default_rule_templates() if need_templates else None,
            "usage": {},
            "address_group_usage": {},
        }
        wanted, _address_groups = read_groups._foreign_ids(observed, desired)  # as the cloud layer names them
        self.name_groups(observed, wanted)
        if sharing.uses_sharing(desired) or sharing.foreign_refs(desired):  # as read_groups.Reads.observe
            object_ids = sharing.shared_object_ids(desired, observed)
            observed["rbac"] = self.sharing_policies(object_ids)
            observed["projects"] = dict((entry, self.projects.get(entry)) for entry in sharing.project_entries(desired))
            observed["foreign_groups"] = {}
        return observed

    def project_name_of(self, project_id):
        self.log.append(("read_project", project_id))
        names = [entry for entry, found in self.projects.items() if found == project_id and entry != project_id]
        return names[0] if names else None

    def rbac_policies_of_objects(self, object_ids):
        return self.sharing_policies(object_ids)

    def sharing_policies(self, object_ids):
        self.log.append(("read_rbac", sorted(object_ids)))
        return [dict(p) for p in self.rbac.values() if p["object_id"] in set(object_ids)]

    def rules_referencing(self, group_ids, address_group_ids):
        found = {}
        for rule in self.rules():
            if rule.get("remote_group_id") in group_ids:
                found.setdefault((sharing.SECURITY_GROUP, rule["remote_group_id"]), []).append(dict(rule))
            if rule.get("remote_address_group_id") in address_group_ids:
                found.setdefault((sharing.ADDRESS_GROUP, rule["remote_address_group_id"]), []).append(dict(rule))
        return found

    def features(self):
        """The newest Neutron: every optional extension."""
        return frozenset(feature.name for feature in _features.FEATURES)

    def default_rule_templates(self):
        return copy.deepcopy(self.templates)

    def read_usage(self, observed, group_ids, address_group_ids):
        for group_id in group_ids:
            observed["usage"][group_id] = {
                "ports": [p for p in self.ports if group_id in p["security_group_ids"]],
                "rules": [r for r in self.rules() if r.get("remote_group_id") == group_id],
            }
        for address_group_id in address_group_ids:
            observed["address_group_usage"][address_group_id] = {"rules": []}
        named = set(g["id"] for g in observed["groups"])  # like the cloud layer: name the groups whose rules use them
        self.name_groups(observed, set(r["security_group_id"] for usage in observed["usage"].values() for r in usage["rules"]) - named)
        return observed

    def name_groups(self, observed, group_ids):
        """As ``read_groups.GroupReads.name_groups``: the groups of ``group_ids`` that exist join known_groups."""
        for group_id in sorted(set(group_ids) & set(self.groups)):
            group = self.groups[group_id]
            observed["known_groups"][group_id] = {"id": group_id, "name": group["name"], "project_id": group.get("project_id")}

    def ports_wearing(self, group_ids):
        self.log.append(("read_ports", sorted(group_ids)))
        return dict((g, [p for p in self.ports if g in p["security_group_ids"]]) for g in group_ids)

    def quota_details(self, project_id):
        self.log.append(("read_quota", project_id))
        return {
            "security_group": {"limit": self.limits["security_group"], "used": len(self.groups), "reserved": 0},
            "security_group_rule": {"limit": self.limits["security_group_rule"], "used": len(self.rules()), "reserved": 0},
            "rbac_policy": {"limit": self.limits["rbac_policy"], "used": self._used("rbac_policy"), "reserved": 0},
        }

    def execute(self, plan, project_id, concurrency=1, known_group_ids=()):
        return executor.execute(self, plan, project_id, concurrency, known_group_ids, features=self.features)

    def cloud_run(self, options):
        run = CloudRun(None, RequestCounter(), self, self, self.project_id, RunOptions.from_options(options))
        run.reads = types.SimpleNamespace(calls=self.calls)
        run.adapter = self
        return run
