"""schema.org JSON-LD for organisation profiles: EducationalOrganization."""

from __future__ import annotations

from network.models import Organisation


def organisation_json_ld(organisation: Organisation, *, base_url: str) -> dict:
    url = f"{base_url}{organisation.get_absolute_url()}"
    data: dict = {
        "@context": "https://schema.org",
        "@type": "EducationalOrganization" if organisation.is_provider else "Organization",
        "@id": f"{url}#organisation",
        "url": url,
        "name": organisation.name,
    }
    if organisation.short_name:
        data["alternateName"] = organisation.short_name
    if organisation.description:
        data["description"] = organisation.description[:1000]
    if organisation.website:
        data["sameAs"] = organisation.website
    if organisation.email:
        data["email"] = organisation.email
    if organisation.phone:
        data["telephone"] = organisation.phone
    if organisation.street or organisation.city:
        address = {
            "@type": "PostalAddress",
            "streetAddress": organisation.street,
            "postalCode": organisation.postal_code,
            "addressLocality": organisation.city,
            "addressCountry": organisation.region.country if organisation.region else "DE",
        }
        data["address"] = {key: value for key, value in address.items() if value}
    if organisation.latitude is not None and organisation.longitude is not None:
        data["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": organisation.latitude,
            "longitude": organisation.longitude,
        }
    if organisation.core_competencies:
        data["knowsAbout"] = list(organisation.core_competencies)
    certificates = getattr(organisation, "valid_certificates", [])
    if certificates:
        data["hasCredential"] = [_credential(certificate) for certificate in certificates]
    memberships = getattr(organisation, "public_memberships", [])
    if memberships:
        data["memberOf"] = [
            {
                "@type": "Organization",
                "name": membership.network.name,
                "url": f"{base_url}{membership.network.get_absolute_url()}",
            }
            for membership in memberships
        ]
    amenities = [
        name
        for flag, name in (
            ("step_free_access", "Stufenloser Zugang"),
            ("accessible_toilet", "Barrierefreies WC"),
            ("hearing_loop", "Induktionsschleife"),
        )
        if getattr(organisation, flag)
    ]
    if amenities and organisation.is_provider:  # a Place (CivicStructure) has amenities
        data["amenityFeature"] = [
            {"@type": "LocationFeatureSpecification", "name": name, "value": True}
            for name in amenities
        ]
    return data


def _credential(certificate) -> dict:
    credential = {
        "@type": "EducationalOccupationalCredential",
        "name": certificate.certification.name,
        "credentialCategory": "certificate",
    }
    if certificate.valid_until:
        credential["expires"] = certificate.valid_until.isoformat()
    return credential
