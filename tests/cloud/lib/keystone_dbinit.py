"""Keystone's database: ``keystone-manage db_sync`` then ``bootstrap``, in one interpreter.

Run with the cloud's venv python:
    python keystone_dbinit.py KEYSTONE_CONF -- BOOTSTRAP_ARGS...

Importing keystone's CLI costs ~6 s here; running both commands through one
import (``keystone.cmd.cli.main`` twice, with the parsed config cleared in
between) saves one of them on every fresh start.
"""

import sys

import keystone.conf
from keystone.cmd import cli


def main(conf_file, bootstrap_args):
    base = ["keystone-manage", "--config-file", conf_file]
    cli.main(argv=base + ["db_sync"])
    print("keystone db_sync done", flush=True)
    keystone.conf.CONF.clear()
    cli.main(argv=base + ["bootstrap"] + bootstrap_args)
    print("keystone bootstrap done", flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    sep = args.index("--")
    rest = sep + 1
    main(args[0], args[rest:])
