"""Offline stand-in for pip's get-pip.py, for ansible-test's sanity virtual environments.

ansible-test creates each sanity test's virtual environment without pip and bootstraps pip
by running a get-pip.py that it downloads from ci-files.testing.ansible.com, a host this
project's machines cannot reach. It looks for a cached copy first, at
~/.ansible/test/cache/get_pip_<version>.py (the path its error message names for
saving the script manually). tests/gates/sanity.sh installs this file there.

It does what get-pip.py does with the arguments ansible-test passes (pip options, then
``pip==<version>``, ``--no-setuptools``, ``--no-wheel``): installs pip into the running
interpreter, here from the pip wheel bundled with the standard library's ``ensurepip``,
then installs the requested packages with that pip from the configured package index.
"""

from __future__ import annotations

import subprocess
import sys

GET_PIP_ONLY_OPTIONS = {"--no-setuptools", "--no-wheel"}


def main() -> int:
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]
    # In a child process: ensurepip points PIP_CONFIG_FILE at /dev/null in its own process,
    # and the install below must see the machine's pip configuration (index, certificates).
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
    return subprocess.call([sys.executable, "-m", "pip", "install", "--upgrade", *args])


if __name__ == "__main__":
    sys.exit(main())
