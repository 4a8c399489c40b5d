from measures.models.courses import Course, Module
from measures.models.dates import CourseDate
from measures.models.exports import ExportJob
from measures.models.search import SearchDocument, SearchWord, SearchWordSource, Synonym
from measures.models.vocabularies import CertificateKind, FundingType, Subject, TargetGroup

__all__ = [
    "CertificateKind",
    "Course",
    "CourseDate",
    "ExportJob",
    "FundingType",
    "Module",
    "SearchDocument",
    "SearchWord",
    "SearchWordSource",
    "Subject",
    "Synonym",
    "TargetGroup",
]
