from measures.models.courses import Course, Module
from measures.models.dates import CourseDate
from measures.models.search import SearchDocument, SearchWord, Synonym
from measures.models.vocabularies import CertificateKind, FundingType, Subject, TargetGroup

__all__ = [
    "CertificateKind",
    "Course",
    "CourseDate",
    "FundingType",
    "Module",
    "SearchDocument",
    "SearchWord",
    "Subject",
    "Synonym",
    "TargetGroup",
]
