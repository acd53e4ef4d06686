"""Run the Parley fleet as local processes: ``python -m parley_fleet`` (what ``make up`` runs)."""

from parley_fleet.processes import SERVICES, Fleet, free_port, running_fleet
from parley_fleet.prometheus import LocalPrometheus
from parley_fleet.rabbitmq import create_vhost, delete_vhost
from parley_fleet.supervisor import Supervisor

__all__ = [
    "SERVICES",
    "Fleet",
    "LocalPrometheus",
    "Supervisor",
    "create_vhost",
    "delete_vhost",
    "free_port",
    "running_fleet",
]
