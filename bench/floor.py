"""The API floor: the same converge as the module, by a plain openstacksdk script.

Usage: floor.py CLOUD DECLARATION.json

Creates each group (POST) and tags it (PUT, as the module does), then one bulk
POST of rules per group (remote groups resolved to the new ids), then deletes
the default egress rules the cloud's templates added (the declarations have
none).  No reads beyond what these calls return.  Run as its own process so
its wall time includes Python start, the SDK import and authentication, like
a module run.
"""

import json
import sys

import openstack

TAG = "managed-by=netsec.openstack"


def rule_body(rule, group_id, ids):
    body = {"security_group_id": group_id, "direction": rule.get("direction", "ingress"),
            "ethertype": rule.get("ethertype", "IPv4")}
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


def main():
    cloud, path = sys.argv[1], sys.argv[2]
    with open(path) as handle:
        groups = json.load(handle)["groups"]
    conn = openstack.connect(cloud=cloud)
    ids, initial = {}, {}
    for group in groups:
        created = conn.network.create_security_group(name=group["name"], description=group.get("description", ""))
        conn.network.set_tags(created, [TAG])
        ids[group["name"]] = created.id
        initial[group["name"]] = [r["id"] if isinstance(r, dict) else r.id for r in created.security_group_rules or []]
    for group in groups:
        bodies = [rule_body(r, ids[group["name"]], ids) for r in group["rules"]]
        list(conn.network.create_security_group_rules(bodies))
    for group in groups:
        for rule_id in initial[group["name"]]:
            conn.network.delete_security_group_rule(rule_id, ignore_missing=True)


if __name__ == "__main__":
    main()
