#!/usr/bin/env python
"""Check the built docs site (docs/site/build.sh) against the collection itself.

Every module, role and filter that ``ansible-doc --list`` knows for netsec.openstack must have
its page; a module page must show every option (suboptions included) and every return value
that ``ansible-doc`` documents, a role page every option of every entry point; every Markdown
guide of docs/ must have its page. Usage: check_docs_site.py SITE_HTML_DIR (exit 1 on a miss).
"""

import glob
import json
import os
import subprocess
import sys

FQCN = "netsec.openstack"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PAGE_SUFFIX = {"module": "module", "role": "role", "filter": "filter"}


def ansible_doc(*args):
    completed = subprocess.run(["ansible-doc", "--json"] + list(args), capture_output=True, text=True, check=True)
    return json.loads(completed.stdout)


def option_paths(options, prefix=""):
    """'name', 'name/sub', ... for a (nested) options or return-values mapping."""
    paths = []
    for name, spec in sorted((options or {}).items()):
        path = prefix + name
        paths.append(path)
        paths.extend(option_paths(spec.get("suboptions") or spec.get("contains"), path + "/"))
    return paths


def missing_anchors(html, kind, paths):
    return ["%s %s" % (kind, path) for path in paths if 'id="%s-%s"' % (kind, path) not in html]


def check_plugin(site, plugin_type, name, doc):
    page = os.path.join(site, "collections", "netsec", "openstack", "%s_%s.html" % (name, PAGE_SUFFIX[plugin_type]))
    if not os.path.exists(page):
        return ["%s %s: no page %s" % (plugin_type, name, os.path.relpath(page, site))]
    with open(page) as handle:
        html = handle.read()
    missing = []
    if plugin_type == "role":
        for entry, spec in sorted(doc.get("entry_points", {}).items()):
            anchors = ['id="parameter-%s--%s"' % (entry, path) for path in option_paths(spec.get("options"))]
            missing += [anchor for anchor in anchors if anchor not in html]
    else:
        missing += missing_anchors(html, "parameter", option_paths(doc["doc"].get("options")))
        missing += missing_anchors(html, "return", option_paths(doc.get("return")))
    return ["%s %s: page lacks %s" % (plugin_type, name, item) for item in missing]


def main(site):
    problems = []
    counts = {}
    for plugin_type in ("module", "role", "filter"):
        names = sorted(full.rsplit(".", 1)[1] for full in ansible_doc("-t", plugin_type, "--list", FQCN))
        counts[plugin_type] = len(names)
        docs = ansible_doc("-t", plugin_type, *["%s.%s" % (FQCN, name) for name in names]) if names else {}
        for name in names:
            problems += check_plugin(site, plugin_type, name, docs["%s.%s" % (FQCN, name)])
    guides = [os.path.basename(path)[:-3] for path in glob.glob(os.path.join(ROOT, "docs", "*.md"))]
    if os.path.exists(os.path.join(ROOT, "ARCHITECTURE.md")):
        guides.append("architecture")
    for guide in sorted(guides):
        if not os.path.exists(os.path.join(site, "guides", guide + ".html")):
            problems.append("guide %s: no page guides/%s.html" % (guide, guide))
    for problem in problems:
        print("docs: MISSING: %s" % problem)
    summary = ", ".join("%d %ss" % (count, kind) for kind, count in counts.items())
    if problems or not counts["module"]:
        print("docs: FAILED: %d problem(s) (%s, %d guides)" % (len(problems), summary, len(guides)))
        return 1
    print("docs: every page present with its options and return values (%s, %d guides)" % (summary, len(guides)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
