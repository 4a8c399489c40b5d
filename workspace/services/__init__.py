"""The write services of the workspace, one module per aggregate: accounts (roles, access
links, two-factor log-in), courses (the review workflow, every edit through ``course_edit``,
deletions, the change log) and organisations (with their venues and memberships, subjects, the
reminders to providers).

The admin's forms, inlines and bulk actions write through these, and so does the course import
(``workspace.services.course_import``: many courses at once under the same rules, the changed
ones set-based through ``courses_edit_bulk``); so will the API.
Each function takes keyword arguments, checks who may do it and works in one transaction.
"""

from workspace.services.accounts import (
    assign_role,
    backup_codes_generate,
    reset_two_factor,
    send_access_links,
    two_factor_set_up,
    user_roles_changed,
)
from workspace.services.course_bulk import CourseWrite, CourseWriteError, courses_edit_bulk
from workspace.services.courses import (
    CHANGED_SINCE_SEEN,
    CourseEdit,
    WorkflowError,
    can_review,
    content_change_needs_review,
    course_approve,
    course_archive,
    course_dates_delete,
    course_delete,
    course_edit,
    course_fingerprint,
    course_may_delete,
    course_modules_delete,
    course_reopen,
    course_return,
    course_submit,
    courses_archive,
    courses_confirm,
    courses_submit,
    needs_review,
    pending_revision,
    review_changes,
    review_networks_for,
    reviewing_networks,
)
from workspace.services.organisations import (
    RemindersSent,
    membership_lead_step_down,
    organisation_edit,
    organisation_join_network,
    reminder_recipient,
    reminder_subject,
    send_outdated_reminders,
    venue_edit,
    vocabulary_edit,
)

__all__ = [
    "CHANGED_SINCE_SEEN",
    "CourseEdit",
    "CourseWrite",
    "CourseWriteError",
    "RemindersSent",
    "WorkflowError",
    "assign_role",
    "backup_codes_generate",
    "can_review",
    "content_change_needs_review",
    "course_approve",
    "course_archive",
    "course_dates_delete",
    "course_delete",
    "course_edit",
    "course_fingerprint",
    "course_may_delete",
    "course_modules_delete",
    "course_reopen",
    "course_return",
    "course_submit",
    "courses_archive",
    "courses_confirm",
    "courses_edit_bulk",
    "courses_submit",
    "membership_lead_step_down",
    "needs_review",
    "organisation_edit",
    "organisation_join_network",
    "pending_revision",
    "reminder_recipient",
    "reminder_subject",
    "reset_two_factor",
    "review_changes",
    "review_networks_for",
    "reviewing_networks",
    "send_access_links",
    "send_outdated_reminders",
    "vocabulary_edit",
    "two_factor_set_up",
    "user_roles_changed",
    "venue_edit",
]
