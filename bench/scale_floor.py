"""The API floor of the scale case's operations, in plain openstacksdk (bench/scale.py).

Usage:
  scale_floor.py CLOUD noop PROJECT_ID
  scale_floor.py CLOUD replace GROUP_ID DECLARATION.json GROUP_NAME [CONCURRENCY]
  scale_floor.py CLOUD delete GROUP_ID

noop: the one read that shows nothing differs (the project's groups with their rules).
replace: the group's new rules in bulk POSTs of 500, then its old rules deleted, CONCURRENCY (4) at a time
(the module's order: create before delete). delete: one DELETE of the group (Neutron deletes its rules).
Raw requests through the SDK's session, no resource objects: the least a client can do.
"""

import json
import sys
from concurrent.futures import ThreadPoolExecutor

import openstack

from floor import checked, post, rule_body

BULK = 500


def noop(conn, project_id):
    checked(conn.network.get("/security-groups?project_id=%s" % project_id), "GET /security-groups")


def replace(conn, group_id, path, name, concurrency):
    with open(path) as handle:
        groups = dict((g["name"], g) for g in json.load(handle)["groups"])
    old = checked(conn.network.get("/security-group-rules?security_group_id=%s&fields=id" % group_id), "GET /security-group-rules")["security_group_rules"]
    bodies = [rule_body(rule, group_id, {}) for rule in groups[name]["rules"]]
    for start in range(0, len(bodies), BULK):
        end = start + BULK
        post(conn, "/security-group-rules", {"security_group_rules": bodies[start:end]})

    def delete(rule_id):
        response = conn.network.delete("/security-group-rules/%s" % rule_id)
        if response.status_code not in (204, 404):
            raise SystemExit("DELETE rule %s: %s" % (rule_id, response.status_code))

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(delete, [rule["id"] for rule in old]))


def delete_group(conn, group_id):
    response = conn.network.delete("/security-groups/%s" % group_id)
    if response.status_code not in (204, 404):
        raise SystemExit("DELETE group %s: %s %s" % (group_id, response.status_code, response.text[:300]))


def main():
    cloud, operation = sys.argv[1], sys.argv[2]
    conn = openstack.connect(cloud=cloud)
    if operation == "noop":
        noop(conn, sys.argv[3])
    elif operation == "replace":
        replace(conn, sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]) if len(sys.argv) > 6 else 4)
    elif operation == "delete":
        delete_group(conn, sys.argv[3])
    else:
        raise SystemExit("unknown operation %r" % operation)


if __name__ == "__main__":
    main()
