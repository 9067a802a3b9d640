"""Test-only ML2 mechanism driver for the netsec.openstack local cloud."""
