# Sphinx configuration of the netsec.openstack docs site (`make docs`; docs/site/build.sh).
# Started from `antsibull-docs sphinx-init` (antsibull-docs 2.28); changed for an offline build:
# - intersphinx reads a bundled inventory of the few Ansible docs labels the generated pages use
#   (ansible-inventory.txt, written to ansible_devel.inv by build.sh) instead of fetching
#   docs.ansible.com's; links still point there;
# - myst-parser renders the Markdown guides of docs/ (copied to guides/ by build.sh) as they are.
# The build runs with -W (warnings are errors) and nitpicky on: a broken reference fails it.

import os

project = "netsec.openstack"
copyright = "netsec.openstack maintainers; GNU General Public License v3.0 or later"

title = "netsec.openstack"
html_short_title = "netsec.openstack"

extensions = ["sphinx.ext.intersphinx", "sphinx_antsibull_ext", "myst_parser"]

intersphinx_mapping = {
    "ansible_devel": ("https://docs.ansible.com/projects/ansible/devel/", os.path.join(os.path.dirname(os.path.abspath(__file__)), "ansible_devel.inv")),
}

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}

pygments_style = "ansible"

highlight_language = "YAML+Jinja"

html_theme = "sphinx_ansible_theme"
html_show_sphinx = False

display_version = False

html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False

default_role = "any"

nitpicky = True

# Markdown guides: "#some-heading" links work as on GitHub.
myst_heading_anchors = 4
