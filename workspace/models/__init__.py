from workspace.models.imports import CourseImport
from workspace.models.log import CourseChange, Reminder
from workspace.models.reviews import QualityCriterion, Review
from workspace.models.roles import RoleAssignment
from workspace.models.security import LoginFailure

__all__ = [
    "CourseChange",
    "CourseImport",
    "LoginFailure",
    "QualityCriterion",
    "Reminder",
    "Review",
    "RoleAssignment",
]
