"""Register and seed the compute part of the local test cloud.

Run with the Keystone/Neutron venv python (it has openstacksdk), admin
credentials in the OS_* environment:

    python bootstrap.py keystone    # service users, catalog, shared network
    python bootstrap.py resources   # image and flavor (needs Glance and Nova)

Idempotent: finds before it creates, so a second run changes nothing.

    python3 bootstrap.py check [keystone] [resources]

answers the same question cheaply on a restart: exit 0 when everything is
already there. It needs only the standard library (any python3), a few HTTP
requests with the service users' own credentials instead of an openstacksdk
import, so a restart skips the seeding runs.
"""

import json
import os
import sys
import time
import urllib.error
import urllib.request

try:
    import openstack
except ImportError:  # `check` runs with a plain python3
    openstack = None

DOMAIN = "default"
REGION = os.environ.get("OS_REGION_NAME", "RegionOne")

# service name -> (type, url, description)
SERVICES = {
    "nova": ("compute", "http://127.0.0.1:8774/v2.1", "netsec local cloud: Nova (fake driver)"),
    "placement": ("placement", "http://127.0.0.1:8778", "netsec local cloud: Placement"),
    "glance": ("image", "http://127.0.0.1:9292", "netsec local cloud: Glance"),
}
# user -> password (the compute script writes the same into the configs)
USERS = {name: "netsec-%s-secret" % name for name in ("nova", "placement", "glance")}
# Service users get `service` too: Neutron (like a real cloud) requires that
# role on the service token Nova sends along (service_token_roles_required).
ROLES = ("admin", "service")

NETWORK = "netsec-net"
SUBNET = "netsec-subnet"
CIDR = "10.250.0.0/24"
IMAGE = "netsec-tiny"
FLAVOR = "netsec-tiny"
# A tiny raw disk: enough for Glance to store and Nova's fake driver to "boot".
IMAGE_BYTES = b"\0" * 65536


def connect():
    return openstack.connect(
        auth_url=os.environ["OS_AUTH_URL"],
        username=os.environ["OS_USERNAME"],
        password=os.environ["OS_PASSWORD"],
        project_name=os.environ["OS_PROJECT_NAME"],
        user_domain_name=os.environ.get("OS_USER_DOMAIN_NAME", "Default"),
        project_domain_name=os.environ.get("OS_PROJECT_DOMAIN_NAME", "Default"),
        region_name=REGION,
        identity_api_version="3",
        interface="public",
    )


def password_works(name, password, project):
    try:
        openstack.connect(
            auth_url=os.environ["OS_AUTH_URL"],
            username=name,
            password=password,
            project_name=project,
            user_domain_name="Default",
            project_domain_name="Default",
            region_name=REGION,
            identity_api_version="3",
        ).authorize()
        return True
    except Exception:  # noqa: BLE001 - any failure means "reset it"
        return False


def ensure_keystone(conn):
    project = conn.identity.find_project("service", domain_id=DOMAIN)
    if project is None:
        project = conn.identity.create_project(name="service", domain_id=DOMAIN, description="Service users of the local cloud")
        print("created project service")
    roles = []
    for role_name in ROLES:
        role = conn.identity.find_role(role_name)
        if role is None:
            role = conn.identity.create_role(name=role_name)
            print("created role %s" % role_name)
        roles.append(role)
    for name, password in USERS.items():
        user = conn.identity.find_user(name, domain_id=DOMAIN)
        if user is None:
            user = conn.identity.create_user(name=name, password=password, domain_id=DOMAIN, default_project_id=project.id)
            print("created user %s" % name)
        elif not password_works(name, password, "service"):
            conn.identity.update_user(user, password=password)
            print("reset password of user %s" % name)
        for role in roles:
            conn.identity.assign_project_role_to_user(project, user, role)

    for name, (stype, url, desc) in SERVICES.items():
        svc = next(iter(conn.identity.services(type=stype)), None)
        if svc is None:
            svc = conn.identity.create_service(name=name, type=stype, description=desc)
            print("created service %s (%s)" % (name, stype))
        have = {(e.interface, e.region_id): e for e in conn.identity.endpoints(service_id=svc.id)}
        for interface in ("public", "internal", "admin"):
            endpoint = have.get((interface, REGION))
            if endpoint is None:
                conn.identity.create_endpoint(service_id=svc.id, interface=interface, url=url, region_id=REGION)
                print("created %s endpoint %s %s" % (interface, stype, url))
            elif endpoint.url != url:
                conn.identity.update_endpoint(endpoint, url=url)
                print("fixed %s endpoint %s -> %s" % (interface, stype, url))


def ensure_network(conn):
    net = conn.network.find_network(NETWORK)
    if net is None:
        try:
            net = conn.network.create_network(name=NETWORK, is_shared=True)
        except openstack.exceptions.HttpException as exc:
            print("plain shared network refused (%s); trying type local" % exc)
            net = conn.network.create_network(name=NETWORK, is_shared=True, provider_network_type="local")
        print("created network %s" % NETWORK)
    elif not net.is_shared:
        conn.network.update_network(net, is_shared=True)
    if not list(conn.network.subnets(network_id=net.id)):
        conn.network.create_subnet(name=SUBNET, network_id=net.id, ip_version=4, cidr=CIDR, is_dhcp_enabled=False)
        print("created subnet %s %s" % (SUBNET, CIDR))


def ensure_image(conn):
    image = conn.image.find_image(IMAGE)
    if image is not None and image.status == "active":
        return
    if image is not None:  # a half-made one from an interrupted run
        conn.image.delete_image(image)
    image = conn.image.create_image(name=IMAGE, disk_format="raw", container_format="bare", visibility="public", data=IMAGE_BYTES, validate_checksum=False)
    deadline = time.monotonic() + 60
    while image.status != "active":
        if time.monotonic() > deadline:
            raise SystemExit("image %s stuck in %s" % (IMAGE, image.status))
        time.sleep(0.5)
        image = conn.image.get_image(image)
    print("created image %s" % IMAGE)


def ensure_flavor(conn):
    if conn.compute.find_flavor(FLAVOR) is None:
        conn.compute.create_flavor(name=FLAVOR, ram=64, vcpus=1, disk=1, is_public=True)
        print("created flavor %s" % FLAVOR)


def _request(method, url, token=None, body=None):
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["X-Auth-Token"] = token
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.headers, json.loads(resp.read() or b"null")


def _token(name, password):
    """(token, roles, catalog) of a service user scoped to project service."""
    body = {
        "auth": {
            "identity": {"methods": ["password"], "password": {"user": {"name": name, "password": password, "domain": {"name": "Default"}}}},
            "scope": {"project": {"name": "service", "domain": {"name": "Default"}}},
        }
    }
    headers, data = _request("POST", os.environ["OS_AUTH_URL"].rstrip("/") + "/auth/tokens", body=body)
    token = data["token"]
    return (headers["X-Subject-Token"], {r["name"] for r in token["roles"]}, token.get("catalog", []))


def _endpoints(catalog, stype):
    return {(e["interface"], e["region_id"]): e["url"] for svc in catalog if svc["type"] == stype for e in svc["endpoints"]}


def check(phases):
    """True when `phases` have nothing to do (see the module docstring)."""
    try:
        tokens = {}
        for name, password in USERS.items():
            token, roles, catalog = _token(name, password)
            if not set(ROLES) <= roles:
                return False
            tokens[name] = token
        for _name, (stype, url, _desc) in SERVICES.items():
            want = {(i, REGION): url for i in ("public", "internal", "admin")}
            if _endpoints(catalog, stype) != want:
                return False
        token = tokens["nova"]
        for phase in phases:
            if phase == "keystone":
                net = _endpoints(catalog, "network")[("public", REGION)].rstrip("/")
                _status, nets = _request("GET", net + "/v2.0/networks?name=" + NETWORK, token)
                nets = nets["networks"]
                if not (len(nets) == 1 and nets[0]["shared"] and nets[0]["subnets"]):
                    return False
            elif phase == "resources":
                _status, images = _request("GET", SERVICES["glance"][1] + "/v2/images?name=" + IMAGE, token)
                _status, flavors = _request("GET", SERVICES["nova"][1] + "/flavors?is_public=None", token)
                if not ([i["status"] for i in images["images"]] == ["active"] and FLAVOR in {f["name"] for f in flavors["flavors"]}):
                    return False
            else:
                raise SystemExit("unknown phase %r" % phase)
        return True
    except (urllib.error.URLError, OSError, KeyError, ValueError):
        return False


def main(argv):
    if argv[1:2] == ["check"]:
        return 0 if check(argv[2:]) else 1
    phases = argv[1:] or ["keystone", "resources"]
    conn = connect()
    for phase in phases:
        if phase == "keystone":
            ensure_keystone(conn)
            ensure_network(conn)
        elif phase == "resources":
            ensure_image(conn)
            ensure_flavor(conn)
        else:
            raise SystemExit("unknown phase %r" % phase)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
