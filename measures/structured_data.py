"""schema.org JSON-LD for course pages: Course with provider, offers and CourseInstances."""

from __future__ import annotations

import json
from datetime import datetime

from django.utils.html import format_html
from django.utils.safestring import SafeString

from measures.calendar import BERLIN
from measures.models import Course, CourseDate

COURSE_MODES = {
    CourseDate.Mode.IN_PERSON: "onsite",
    CourseDate.Mode.ONLINE: "online",
    CourseDate.Mode.BLENDED: "blended",
}
SCHEMA_DAYS = [
    "https://schema.org/Monday",
    "https://schema.org/Tuesday",
    "https://schema.org/Wednesday",
    "https://schema.org/Thursday",
    "https://schema.org/Friday",
    "https://schema.org/Saturday",
    "https://schema.org/Sunday",
]
# JSON inside <script> must not be able to close the element.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def course_json_ld(
    course: Course, dates: list[CourseDate], *, base_url: str, subjects: list | None = None
) -> dict:
    """The course as schema.org JSON-LD; ``subjects``: the course's, if read already."""
    provider = course.provider
    data = {
        "@context": "https://schema.org",
        "@type": "Course",
        "@id": f"{base_url}{course.get_absolute_url()}#course",
        "url": f"{base_url}{course.get_absolute_url()}",
        "name": course.title,
        "description": course.summary or course.description[:500] or course.title,
        "inLanguage": course.language.split("-")[0] if course.language != "mul" else "de",
        "provider": {
            "@type": "EducationalOrganization",
            "name": provider.name,
            "url": f"{base_url}{provider.get_absolute_url()}",
        },
        "offers": _offer(course, None, base_url),
        "hasCourseInstance": [_instance(course, date, base_url) for date in dates],
    }
    if workload := _workload(course):
        data["timeRequired"] = workload
    if course.certificate_kind_id:
        data["educationalCredentialAwarded"] = str(course.certificate_kind)
    if course.prerequisites:
        data["coursePrerequisites"] = course.prerequisites
    subjects = course.subjects.all() if subjects is None else subjects
    keywords = [subject.name for subject in subjects]
    if keywords:
        data["keywords"] = ", ".join(keywords)
    return data


def _offer(course: Course, date: CourseDate | None, base_url: str) -> dict:
    price = date.effective_price if date is not None else course.price
    if course.price_kind == Course.PriceKind.FREE:
        price = 0
    offer = {
        "@type": "Offer",
        "category": "Free" if price == 0 else "Paid",
        "priceCurrency": "EUR",
        "url": course.registration_url or f"{base_url}{course.get_absolute_url()}",
    }
    if price is not None and course.price_kind != Course.PriceKind.ON_REQUEST:
        offer["price"] = f"{price:.2f}" if price else "0"
    if date is not None:
        availability = {
            CourseDate.BookingStatus.FULL: "https://schema.org/SoldOut",
            CourseDate.BookingStatus.FEW: "https://schema.org/LimitedAvailability",
            CourseDate.BookingStatus.CANCELLED: "https://schema.org/Discontinued",
        }.get(date.booking_status, "https://schema.org/InStock")
        offer["availability"] = availability
    return offer


def _instance(course: Course, date: CourseDate, base_url: str) -> dict:
    instance = {
        "@type": "CourseInstance",
        "courseMode": COURSE_MODES[date.mode],
        "offers": _offer(course, date, base_url),
    }
    if date.start_date:
        instance["startDate"] = _iso(date.start_date, date.start_time)
    if date.end_date:
        instance["endDate"] = _iso(date.end_date, date.end_time)
    if date.venue is not None:
        venue = date.venue
        location = {
            "@type": "Place",
            "name": venue.name,
            "address": {
                "@type": "PostalAddress",
                "streetAddress": venue.street,
                "postalCode": venue.postal_code,
                "addressLocality": venue.city,
                "addressCountry": "DE" if venue.region is None else venue.region.country,
            },
        }
        if venue.latitude is not None:
            location["geo"] = {
                "@type": "GeoCoordinates",
                "latitude": venue.latitude,
                "longitude": venue.longitude,
            }
        instance["location"] = location
    elif date.mode == CourseDate.Mode.ONLINE:
        instance["location"] = {
            "@type": "VirtualLocation",
            "url": course.registration_url or base_url,
        }
    if date.weekdays or date.start_time:
        schedule = {"@type": "Schedule", "repeatFrequency": "P1W"}
        if date.weekdays:
            schedule["byDay"] = [SCHEMA_DAYS[day] for day in sorted(date.weekdays)]
        if date.start_time:
            schedule["startTime"] = date.start_time.strftime("%H:%M")
        if date.end_time:
            schedule["endTime"] = date.end_time.strftime("%H:%M")
        if date.start_date:
            schedule["startDate"] = date.start_date.isoformat()
        if date.end_date:
            schedule["endDate"] = date.end_date.isoformat()
        instance["courseSchedule"] = schedule
    elif workload := _workload(course):
        instance["courseWorkload"] = workload
    return instance


def _workload(course: Course) -> str | None:
    """ISO 8601 duration of the whole course: from its hours, or its teaching units of 45 min."""
    if course.hours:
        return f"PT{round(course.hours)}H"
    if course.teaching_units:
        return f"PT{round(course.teaching_units * 45 / 60)}H"
    return None


def _iso(day, at) -> str:
    if at is None:
        return day.isoformat()
    return datetime.combine(day, at, tzinfo=BERLIN).isoformat()


def json_ld_script(data: dict) -> SafeString:
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', SafeString(payload))
