"""Running real ansible-playbook processes for the integration tests: the one place that builds the command.

``run_playbook`` runs a playbook file (optionally counting the requests a
proxy saw during it); ``run_module_task`` writes a one-task playbook for a
module, runs it and returns the task's registered result, failed or not.
Both use this interpreter's ansible-playbook and the collection as the
checkout (.cache/collections). Callers that start the process themselves
(several at once, or measured: tests/integration/test_concurrency.py,
bench/scale.py) take ``playbook_command`` and ``playbook_env``.
"""

import collections
import json
import os
import sys
import subprocess

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".cache", "collections")
LOCAL = "localhost,"

# status: ansible-playbook's exit status; output: its stdout and stderr; counts: the proxy's (None without one).
PlaybookRun = collections.namedtuple("PlaybookRun", ["status", "output", "counts"])


def playbook_env(clouds_file, **extra):
    """The environment every test's ansible-playbook runs in (``extra``: more variables, e.g. the benchmark's)."""
    return dict(
        os.environ,
        OS_CLIENT_CONFIG_FILE=clouds_file,
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
        **extra,
    )


def playbook_command(playbook, inventory=LOCAL, extra_args=()):
    """ansible-playbook of this interpreter, on ``inventory`` (localhost: a local connection; None: ansible.cfg's)."""
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook")]
    if inventory is not None:
        command += ["-i", inventory]
    if inventory == LOCAL:
        command += ["-c", "local"]
    return command + ["-e", "ansible_python_interpreter=%s" % sys.executable, str(playbook)] + list(extra_args)


def ansible_playbook(playbook, clouds_file, cwd, inventory=LOCAL, extra_args=()):
    """Run one playbook against the local cloud; the CompletedProcess."""
    command = playbook_command(playbook, inventory, extra_args)
    return subprocess.run(command, env=playbook_env(clouds_file), capture_output=True, text=True, cwd=str(cwd), check=False)


def run_playbook(playbook, clouds_file, cwd, inventory=LOCAL, extra_args=(), proxy=None):
    """Run one playbook; a ``PlaybookRun`` (with the requests ``proxy`` counted during it, when given)."""
    if proxy is not None:
        proxy.reset()
    completed = ansible_playbook(playbook, clouds_file, cwd, inventory, extra_args)
    return PlaybookRun(completed.returncode, completed.stdout + completed.stderr, proxy.counts() if proxy is not None else None)


def write_module_playbook(path, module, args, result_file, check=False, diff=False, loop=None):
    """A playbook that runs one module task (over ``loop``, when given) and saves its registered result (failed or not) as JSON."""
    task = {"name": "module under test", module: args, "register": "result", "ignore_errors": True, "check_mode": check, "diff": diff}
    if loop is not None:
        task["loop"] = loop
    playbook = [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "tasks": [
                task,
                {
                    "name": "save the result",
                    "ansible.builtin.copy": {"content": "{{ result | to_json }}", "dest": result_file, "mode": "0600"},
                    "check_mode": False,
                    "diff": False,
                },
            ],
        }
    ]
    with open(path, "w") as handle:
        yaml.safe_dump(playbook, handle)


def run_module_task(workdir, name, module, args, clouds_file, check=False, diff=False, extra_args=(), proxy=None, loop=None):
    """One module task (over ``loop``, when given) in a real playbook (files ``<name>.yml``/``<name>.json`` in ``workdir``).

    Returns ``(PlaybookRun, result)``; ``result`` is the task's registered result (with ``loop``:
    its ``results`` per item), None when the playbook itself failed before saving it.
    """
    result_file = os.path.join(str(workdir), "%s.json" % name)
    path = os.path.join(str(workdir), "%s.yml" % name)
    write_module_playbook(path, module, args, result_file, check=check, diff=diff, loop=loop)
    run = run_playbook(path, clouds_file, workdir, extra_args=extra_args, proxy=proxy)
    if run.status != 0 or not os.path.exists(result_file):
        return run, None
    with open(result_file) as handle:
        return run, json.load(handle)
