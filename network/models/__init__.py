from network.models.networks import Event, Membership, Network, NetworkPhase, Project, WorkingGroup
from network.models.organisations import (
    Certification,
    Contact,
    Organisation,
    OrganisationCertification,
    Venue,
)
from network.models.regions import PostalCode, Region

__all__ = [
    "Certification",
    "Contact",
    "Event",
    "Membership",
    "Network",
    "NetworkPhase",
    "Organisation",
    "OrganisationCertification",
    "PostalCode",
    "Project",
    "Region",
    "Venue",
    "WorkingGroup",
]
