"""The API floor: the same converge as the module, by a plain openstacksdk script.

Usage: floor.py CLOUD DECLARATION.json [CONCURRENCY]

Creates each group with its tag in one POST where Neutron has ``tag-creation``
(else POST, then a tag PUT: the local cloud's ML2-only Neutron refuses tags in
the POST; the first group finds out, at the cost of one refused POST), then
one bulk POST of rules per group (remote groups resolved to the new ids), then
deletes the default egress rules the cloud's templates added (the declarations
have none).  Raw requests through the SDK's session (``conn.network.post``):
no resource objects are built from the answers, no reads beyond what these
calls return.  Run as its own process so its wall time includes Python start,
the SDK import and authentication, like a module run.

CONCURRENCY (default 1): the bulk POSTs of different groups, then the
DELETEs, run that many at a time (threads sharing one connection), as the
module's ``concurrency`` option does; group creates stay sequential.
"""

import json
import sys
from concurrent.futures import ThreadPoolExecutor

import openstack

TAG = "managed-by=netsec.openstack"


def rule_body(rule, group_id, ids):
    body = {"security_group_id": group_id, "direction": rule.get("direction", "ingress"), "ethertype": rule.get("ethertype", "IPv4")}
    if rule.get("protocol"):
        body["protocol"] = rule["protocol"]
    port = rule.get("port")
    if port is not None:
        low, _sep, high = str(port).partition("-")
        body["port_range_min"] = int(low)
        body["port_range_max"] = int(high or low)
    if rule.get("remote_ip_prefix"):
        body["remote_ip_prefix"] = rule["remote_ip_prefix"]
    if rule.get("remote_group"):
        body["remote_group_id"] = ids[rule["remote_group"]]
    if rule.get("description"):
        body["description"] = rule["description"]
    return body


def checked(response, what):
    if response.status_code >= 300:
        raise SystemExit("%s: %s %s" % (what, response.status_code, response.text[:300]))
    return response.json()


def post(conn, path, body):
    return checked(conn.network.post(path, json=body), "POST %s" % path)


def main():
    cloud, path = sys.argv[1], sys.argv[2]
    concurrency = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    with open(path) as handle:
        groups = json.load(handle)["groups"]
    conn = openstack.connect(cloud=cloud)
    ids, initial = {}, {}
    tags_in_post = True
    for group in groups:
        body = {"name": group["name"], "description": group.get("description", "")}
        created = None
        if tags_in_post:
            response = conn.network.post("/security-groups", json={"security_group": dict(body, tags=[TAG])})
            if response.status_code == 400 and "tags" in response.text:
                tags_in_post = False
            else:
                created = checked(response, "POST /security-groups")["security_group"]
        if created is None:
            created = post(conn, "/security-groups", {"security_group": body})["security_group"]
            response = conn.network.put("/security-groups/%s/tags" % created["id"], json={"tags": [TAG]})
            checked(response, "PUT tags")
        ids[group["name"]] = created["id"]
        initial[group["name"]] = [r["id"] for r in created.get("security_group_rules") or []]

    def create_rules(group):
        bodies = [rule_body(r, ids[group["name"]], ids) for r in group["rules"]]
        if not bodies:  # Neutron answers an empty bulk POST with 400 "Resources required"
            return []
        return post(conn, "/security-group-rules", {"security_group_rules": bodies})["security_group_rules"]

    def delete_rule(rule_id):
        response = conn.network.delete("/security-group-rules/%s" % rule_id)
        if response.status_code not in (204, 404):
            raise SystemExit("DELETE rule %s: %s %s" % (rule_id, response.status_code, response.text[:300]))

    deletes = [rule_id for group in groups for rule_id in initial[group["name"]]]
    if concurrency > 1:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(create_rules, groups))
            list(pool.map(delete_rule, deletes))
    else:
        for group in groups:
            create_rules(group)
        for rule_id in deletes:
            delete_rule(rule_id)


if __name__ == "__main__":
    main()
