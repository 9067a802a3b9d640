"""Make ``ansible_collections.netsec.openstack`` importable from the checkout.

The repository root is the collection root; Python needs it below
``ansible_collections/netsec/openstack``.  A symlink tree under .cache/ does
that without copying.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TREE = os.path.join(ROOT, ".cache", "collections")
LINK = os.path.join(TREE, "ansible_collections", "netsec", "openstack")

if not os.path.exists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    try:
        os.symlink(ROOT, LINK)
    except FileExistsError:
        pass
if TREE not in sys.path:
    sys.path.insert(0, TREE)
