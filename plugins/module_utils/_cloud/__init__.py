# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cloud layer: the only code of the collection that calls openstacksdk (private).

``connection``: connect, run options, the request counter, ``open_run``.
``calls``: retries with backoff and the translation of SDK errors (one wrapper).
``reads``: what the planners need, in a constant number of list calls.
``writes``: one method per write, plain dicts in and out.
"""
