"""An ML2 mechanism driver that binds every port, for a cloud without agents.

The local test cloud runs the Neutron API alone: no Open vSwitch, no L2 agent.
Nova still needs its ports bound (``binding:vif_type`` other than
``unbound``/``binding_failed``) to boot a server, so this driver accepts any
segment of any network type and binds the port to it at once, as an OVS port
with a port filter (security groups "enforced"), and marks the port ACTIVE.

It never touches the data plane; ports created without ``binding:host_id``
stay unbound, as in any real cloud.
"""

from neutron_lib.api.definitions import portbindings
from neutron_lib import constants
from neutron_lib.plugins.ml2 import api
from oslo_log import log

LOG = log.getLogger(__name__)

VIF_DETAILS = {
    portbindings.CAP_PORT_FILTER: True,
    portbindings.OVS_HYBRID_PLUG: False,
    portbindings.VIF_DETAILS_CONNECTIVITY: portbindings.CONNECTIVITY_L2,
}


class FakeBindMechanismDriver(api.MechanismDriver):
    """Bind every port to its first segment: vif_type ovs, status ACTIVE."""

    def initialize(self):
        LOG.info("netsec_fakebind mechanism driver initialized")

    @property
    def connectivity(self):
        return portbindings.CONNECTIVITY_L2

    def bind_port(self, context):
        for segment in context.segments_to_bind:
            context.set_binding(segment[api.ID], portbindings.VIF_TYPE_OVS, dict(VIF_DETAILS), status=constants.PORT_STATUS_ACTIVE)
            LOG.debug("netsec_fakebind bound port %s to segment %s (%s)", context.current["id"], segment[api.ID], segment.get(api.NETWORK_TYPE))
            return
