"""Create Neutron's schema on sqlite and seed the default rule templates.

Run with the cloud's venv python:
    python neutron_dbinit.py SQLITE_URL --config-file neutron.conf --config-file ml2_conf.ini

``neutron-db-manage upgrade heads`` fails on sqlite (alembic cannot ALTER
constraints there), so the schema is created from Neutron's models at HEAD
instead, then ``neutron-db-manage stamp heads`` marks the database current
(run here, in the same interpreter: one Neutron import instead of two).

The migration we skip that way (2023.2 ``c33da356b165``) is also the one that
seeds the default security-group rule templates. Without them a new group
would get no rule at all, unlike any real cloud. So insert the same four
templates it would: egress IPv4/IPv6 for every group, ingress from the group
itself (remote_group_id PARENT) IPv4/IPv6 for the ``default`` group only.
"""

import sys

import sqlalchemy as sa
from sqlalchemy import orm

from neutron.db.migration.models import head
from oslo_utils import uuidutils

try:  # the templates arrived in 2023.2; 2023.1 (Neutron 22) has no table to seed
    from neutron.db.models import securitygroup_default_rules as sgdr
except ImportError:
    sgdr = None

INGRESS_DESC = "Legacy default SG rule for ingress traffic"
EGRESS_DESC = "Legacy default SG rule for egress traffic"

TEMPLATES = [
    dict(direction="egress", ethertype="IPv4", remote_group_id=None, used_in_default_sg=True, used_in_non_default_sg=True, description=EGRESS_DESC),
    dict(direction="egress", ethertype="IPv6", remote_group_id=None, used_in_default_sg=True, used_in_non_default_sg=True, description=EGRESS_DESC),
    dict(direction="ingress", ethertype="IPv4", remote_group_id="PARENT", used_in_default_sg=True, used_in_non_default_sg=False, description=INGRESS_DESC),
    dict(direction="ingress", ethertype="IPv6", remote_group_id="PARENT", used_in_default_sg=True, used_in_non_default_sg=False, description=INGRESS_DESC),
]


def main(url, config_args):
    engine = sa.create_engine(url)
    head.get_metadata().create_all(engine)
    if sgdr is None:
        print("neutron schema created; this release has no default rule templates")
        return stamp(config_args)
    with orm.Session(engine) as session:
        existing = session.query(sgdr.SecurityGroupDefaultRule).count()
        if not existing:
            for tpl in TEMPLATES:
                session.add(sgdr.SecurityGroupDefaultRule(id=uuidutils.generate_uuid(), **tpl))
            session.commit()
        count = session.query(sgdr.SecurityGroupDefaultRule).count()
    print("neutron schema created; %d default rule templates" % count)
    stamp(config_args)


def stamp(config_args):
    from neutron.db.migration import cli

    sys.argv = ["neutron-db-manage"] + config_args + ["stamp", "heads"]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
