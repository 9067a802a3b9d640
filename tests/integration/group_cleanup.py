"""Deleting the security groups a test or a benchmark made, with openstacksdk (no pytest: bench/ imports it too)."""

import time

import openstack


def delete_group(conn, group_id, attempts=10):
    """Delete one group, waiting out a 409 (a port Nova is still releasing wears it) with a growing pause."""
    for attempt in range(attempts):
        try:
            conn.network.delete_security_group(group_id, ignore_missing=True)
            return
        except openstack.exceptions.ConflictException:
            time.sleep(0.5 * (attempt + 1))


def delete_groups(conn, predicate, **query):
    """Delete the groups (listed with ``query``) that ``predicate`` picks: detach them from ports first (a deleted server's port may linger)."""
    groups = [g for g in conn.network.security_groups(**query) if predicate(g)]
    for group in groups:
        for port in conn.network.ports(security_groups=[group.id]):
            if group.id in (port.security_group_ids or []):
                conn.network.update_port(port, security_group_ids=[s for s in port.security_group_ids if s != group.id])
    for group in groups:
        delete_group(conn, group.id)
