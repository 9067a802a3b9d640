"""Seed Keystone for the local cloud: projects, users, roles, catalog.

Run with the cloud's venv python after ``keystone-manage bootstrap`` and
once Keystone answers:  python seed_keystone.py
Reads the admin credentials from the OS_* environment. Idempotent: finds
before it creates, so running it twice changes nothing.
"""

import os
import sys

import openstack

DOMAIN = "default"
REGION = os.environ.get("OS_REGION_NAME", "RegionOne")
NEUTRON_URL = os.environ.get("NETSEC_NEUTRON_URL", "http://127.0.0.1:9696")

PROJECTS = {
    "service": "Service users of the local cloud",
    "demo": "netsec.openstack tests: non-admin project",
    "demo2": "netsec.openstack tests: second non-admin project",
}
# user -> (password, project, role)
USERS = {
    "demo": ("netsec-demo-secret", "demo", "member"),
    "demo2": ("netsec-demo2-secret", "demo2", "member"),
    "neutron": ("netsec-neutron-secret", "service", "admin"),
}
# service name -> (type, url)
SERVICES = {
    "neutron": ("network", NEUTRON_URL),
}


def ensure_role(conn, name):
    role = conn.identity.find_role(name)
    return role or conn.identity.create_role(name=name)


def main():
    conn = openstack.connect(
        auth_url=os.environ["OS_AUTH_URL"],
        username=os.environ["OS_USERNAME"],
        password=os.environ["OS_PASSWORD"],
        project_name=os.environ["OS_PROJECT_NAME"],
        user_domain_name=os.environ["OS_USER_DOMAIN_NAME"],
        project_domain_name=os.environ["OS_PROJECT_DOMAIN_NAME"],
        region_name=REGION,
        identity_api_version="3",
        interface="public",
    )

    projects = {}
    for name, desc in PROJECTS.items():
        proj = conn.identity.find_project(name, domain_id=DOMAIN)
        if proj is None:
            proj = conn.identity.create_project(name=name, description=desc, domain_id=DOMAIN)
            print("created project %s" % name)
        projects[name] = proj

    for name, (password, project, role_name) in USERS.items():
        user = conn.identity.find_user(name, domain_id=DOMAIN)
        if user is None:
            user = conn.identity.create_user(name=name, password=password, domain_id=DOMAIN, default_project_id=projects[project].id)
            print("created user %s" % name)
        else:
            conn.identity.update_user(user, password=password)
        role = ensure_role(conn, role_name)
        conn.identity.assign_project_role_to_user(projects[project], user, role)

    for name, (stype, url) in SERVICES.items():
        svc = conn.identity.find_service(name)
        if svc is None:
            svc = conn.identity.create_service(name=name, type=stype)
            print("created service %s (%s)" % (name, stype))
        have = {(e.interface, e.region_id) for e in conn.identity.endpoints(service_id=svc.id)}
        for interface in ("public", "internal", "admin"):
            if (interface, REGION) not in have:
                conn.identity.create_endpoint(service_id=svc.id, interface=interface, url=url, region_id=REGION)
    print("keystone seeded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
