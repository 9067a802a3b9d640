# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The authentication options every module takes: the same names as
    # openstack.cloud, so playbooks and habits carry over.
    DOCUMENTATION = r"""
options:
  cloud:
    description:
      - Name of a cloud in C(clouds.yaml) (found through C(OS_CLIENT_CONFIG_FILE) or the standard locations),
        or a dictionary with the cloud's settings.
      - When neither O(cloud) nor O(auth) is given, the C(OS_*) environment variables are used.
    type: raw
  auth:
    description:
      - Authentication settings (C(auth_url), C(username), C(password), C(project_name), C(user_domain_name),
        C(project_domain_name), ...) as in C(clouds.yaml); overrides what O(cloud) says.
      - Never logged nor returned.
    type: dict
  auth_type:
    description:
      - Name of the keystoneauth plugin, for example C(password), C(token), C(v3applicationcredential).
    type: str
  region_name:
    description:
      - Region to work in.
    type: str
  interface:
    description:
      - Which endpoint of the service catalog to use.
    type: str
    default: public
    choices: [public, internal, admin]
    aliases: [endpoint_type]
  validate_certs:
    description:
      - Whether to verify TLS certificates of the API endpoints. Defaults to what the cloud's settings say (true).
    type: bool
    aliases: [verify]
  ca_cert:
    description:
      - Path to a CA bundle to verify the endpoints with.
    type: str
    aliases: [cacert]
  client_cert:
    description:
      - Path to a client certificate for TLS client authentication.
    type: str
    aliases: [cert]
  client_key:
    description:
      - Path to the key of O(client_cert).
    type: str
    aliases: [key]
  api_timeout:
    description:
      - Seconds to wait for one API request. At least V(1).
    type: int
requirements:
  - python >= 3.9
  - openstacksdk >= 4.5
  - jsonschema >= 4.0
notes:
  - "The modules run on the controller (or wherever the task is delegated to); the managed hosts need no OpenStack
    libraries. Use C(hosts: localhost) or C(delegate_to: localhost)."
  - Tested with openstacksdk 4.22.0 and 4.5.0 (the oldest supported) against Keystone 30 and Neutron 29 (OpenStack 2025.2).
"""
