"""Expected status of every page and API operation for every persona (tests/portal/test_permission_matrix.py).

Read a row as: anonymous, requester (marketing), other_requester (sales), reviewer (IT),
executive, admin (governance admin); the vendor_link persona is anonymous everywhere except
on its own questionnaire. ``LOGIN`` is a redirect to the login page, ``ADMIN_LOGIN`` to the
admin's. The objects in the URLs are the module's world: the marketing requester's *draft*
use case (unsubmitted, so hidden from sales), a submitted use case with an IT-review stage,
vendor A's assessment (sent by the reviewer, answers and evidence saved), the requester's
*draft* prompt, the requester's own training completion, the executive's API token, the
requester's notification, a policy in force with a draft version 2.

POST-only pages are sent an empty POST: "302" there means the request was taken (and the
page redirected back with a message); a refusal is 403 (or 404 where the object is hidden).
API writes are sent ``{}``: an allowed write gives 400 (or 200/204 where no body is needed,
409 where the object's state refuses it), a refused one 403/404, anonymous 401.
"""

PERSONAS = ("anonymous", "requester", "other_requester", "reviewer", "executive", "admin", "vendor_link")
LOGIN = "login"
ADMIN_LOGIN = "admin_login"
_SAME_AS_ANONYMOUS = object()


def cells(anonymous, requester, other_requester, reviewer, executive, admin, vendor_link=_SAME_AS_ANONYMOUS):
    return {
        "anonymous": anonymous,
        "requester": requester,
        "other_requester": other_requester,
        "reviewer": reviewer,
        "executive": executive,
        "admin": admin,
        "vendor_link": anonymous if vendor_link is _SAME_AS_ANONYMOUS else vendor_link,
    }


def page(requester, other_requester, reviewer, executive, admin):
    """A page behind the login: anonymous (and the vendor link) are sent to log in."""
    return cells(LOGIN, requester, other_requester, reviewer, executive, admin)


def api(requester, other_requester, reviewer, executive, admin):
    """An API operation: anonymous (and the vendor link) get 401."""
    return cells(401, requester, other_requester, reviewer, executive, admin)


def everyone(status):
    return cells(*[status] * 7)


GET, POST = "get", "post"

# Shorthand groups (every cell is still explicit once expanded).
SIGNED_IN = page(200, 200, 200, 200, 200)
OVERSIGHT = page(403, 403, 200, 200, 200)  # reviewer, executive, admin
VENDOR_STAFF = page(403, 403, 200, 403, 200)  # reviewer and admin manage vendors and questionnaires
ADMIN_ONLY = page(403, 403, 403, 403, 200)
OWNER_DRAFT = page(200, 404, 200, 200, 200)  # the marketing draft: hidden from sales
OWNER_ONLY_PAGE = page(200, 404, 403, 403, 403)
ROADMAP_MANAGER = page(200, 404, 200, 403, 200)  # owner and reviewers (admin holds review_usecase)
API_SIGNED_IN = api(200, 200, 200, 200, 200)
API_OVERSIGHT = api(403, 403, 200, 200, 200)
API_VENDOR_STAFF = api(403, 403, 200, 403, 200)
API_ADMIN_ONLY_READ = api(403, 403, 403, 403, 200)
INCIDENT_REPORTER = page(200, 404, 404, 404, 404)  # the reporter (and incident managers) only
INCIDENT_REPORTER_REFUSED = page(403, 404, 404, 404, 404)  # handlers only: the reporter is refused
API_INCIDENT_REPORTER = api(200, 404, 404, 404, 404)
API_INCIDENT_REFUSED = api(403, 404, 404, 404, 404)

# key -> (method, {persona: expected})
PAGES = {
    "home": (GET, page(200, 200, 200, 200, 200)),
    "health": (GET, everyone(200)),
    "favicon": (GET, everyone(301)),  # a permanent redirect to the static icon
    "dashboard": (GET, OVERSIGHT),
    "dashboard-export": (GET, OVERSIGHT),
    "login": (GET, cells(200, 302, 302, 302, 302, 302)),  # signed in: on to the home page
    "logout": (POST, everyone(LOGIN)),
    # Password reset (local accounts): public, signed in or not; the confirm URL is asked with a
    # bad link, which answers with the "link no longer works" page.
    "password_reset": (GET, everyone(200)),
    "password_reset_done": (GET, everyone(200)),
    "password_reset_confirm": (GET, everyone(200)),
    "password_reset_complete": (GET, everyone(200)),
    # Single sign-on: public routes, not found while SSO_ENABLED is off (as in this world).
    "oidc_authentication_init": (GET, everyone(404)),
    "oidc_authentication_callback": (GET, everyone(404)),
    "api-tokens": (GET, SIGNED_IN),
    "set_language": (POST, everyone(302)),
    # Use cases
    "usecases:list": (GET, SIGNED_IN),
    "usecases:export": (GET, SIGNED_IN),
    "usecases:export-xlsx": (GET, SIGNED_IN),
    "usecases:create": (GET, page(200, 200, 403, 403, 200)),
    "usecases:organisation-roadmap": (GET, SIGNED_IN),
    "usecases:organisation-economics": (GET, SIGNED_IN),
    "usecases:detail": (GET, OWNER_DRAFT),
    "usecases:detail[submitted]": (GET, SIGNED_IN),  # the published inventory: every role reads it
    "usecases:update": (GET, OWNER_ONLY_PAGE),
    "usecases:submit": (POST, page(302, 404, 403, 403, 403)),
    "usecases:record-measurement": (GET, OWNER_ONLY_PAGE),
    "usecases:withdraw": (POST, page(302, 404, 403, 403, 403)),
    "usecases:roadmap": (GET, OWNER_DRAFT),
    # The draft is at no roadmap step: the owner and reviewers are told so on the roadmap page.
    "usecases:roadmap-advance": (POST, page(302, 404, 302, 403, 302)),
    "usecases:roadmap-go-live": (POST, page(302, 404, 302, 403, 302)),
    "usecases:roadmap-move-back": (POST, page(302, 404, 302, 403, 302)),
    "usecases:roadmap-retire": (POST, page(302, 404, 302, 403, 302)),
    "usecases:pilot": (GET, ROADMAP_MANAGER),
    "usecases:poc": (GET, ROADMAP_MANAGER),
    "usecases:model-roles": (GET, ROADMAP_MANAGER),
    "usecases:economics": (GET, OWNER_DRAFT),
    # The conversation on the draft: everyone who sees it reads and writes; the comment is the
    # requester's, past its edit window (the edit page sends them back) and answered (deleting
    # it is refused with a message).
    "usecases:comment-post": (GET, OWNER_DRAFT),
    "usecases:comment-people": (GET, OWNER_DRAFT),
    "usecases:comment-edit": (GET, page(302, 404, 403, 403, 403)),
    "usecases:comment-delete": (POST, page(302, 404, 403, 403, 403)),
    # Vendors, models, questionnaires, assessments
    "vendors:list": (GET, SIGNED_IN),
    "vendors:export": (GET, SIGNED_IN),
    "vendors:export-xlsx": (GET, SIGNED_IN),
    "vendors:create": (GET, VENDOR_STAFF),
    "vendors:detail": (GET, SIGNED_IN),
    "vendors:update": (GET, VENDOR_STAFF),
    "vendors:send-assessment": (GET, VENDOR_STAFF),
    "vendors:model-list": (GET, SIGNED_IN),
    "vendors:model-create": (GET, VENDOR_STAFF),
    "vendors:model-detail": (GET, SIGNED_IN),
    "vendors:model-update": (GET, VENDOR_STAFF),
    "vendors:licence-list": (GET, SIGNED_IN),
    "vendors:template-list": (GET, VENDOR_STAFF),
    "vendors:template-new-version": (POST, page(403, 403, 302, 403, 302)),
    "vendors:template-version": (GET, VENDOR_STAFF),
    "vendors:template-publish": (POST, page(403, 403, 302, 403, 302)),
    "vendors:template-add-section": (POST, page(403, 403, 302, 403, 302)),
    "vendors:question-create": (GET, VENDOR_STAFF),
    "vendors:question-update": (GET, VENDOR_STAFF),
    "vendors:question-move-up": (POST, page(403, 403, 302, 403, 302)),
    "vendors:question-move-down": (POST, page(403, 403, 302, 403, 302)),
    "vendors:question-delete": (POST, page(403, 403, 302, 403, 302)),
    "vendors:assessment-detail": (GET, VENDOR_STAFF),
    "vendors:assessment-decide": (POST, page(403, 403, 400, 403, 400)),
    "vendors:assessment-revoke": (POST, page(403, 403, 302, 403, 302)),
    "vendors:assessment-reissue": (POST, page(403, 403, 302, 403, 302)),
    "vendors:evidence": (GET, VENDOR_STAFF),
    # The vendor-facing questionnaire. The link is the credential: whoever holds vendor A's
    # link sees A's questionnaire (the URL is the same for every persona); no other token opens it.
    "vendor-portal:assessment": (GET, everyone(200)),
    "vendor-portal:assessment[stale]": (GET, everyone(404)),  # B's first link, superseded by a reissue
    "vendor-portal:assessment[revoked]": (GET, everyone(404)),  # C's link, assessment revoked
    "vendor-portal:assessment[forged]": (GET, everyone(404)),  # validly signed, names B, carries A's nonce
    "vendor-portal:assessment[tampered]": (GET, everyone(404)),  # A's link with its signature cut short
    # Governance
    "governance:matrix": (GET, SIGNED_IN),
    "governance:rule-update": (GET, ADMIN_ONLY),
    "governance:level-update": (GET, ADMIN_ONLY),
    "governance:queue": (GET, OVERSIGHT),
    "governance:delegations": (GET, OVERSIGHT),
    # Ending someone else's delegation: hidden (404); the admin's own would be ended.
    "governance:delegation-end": (POST, page(403, 403, 302, 404, 404)),
    # The submitted use case's IT-review stage: only members of its group assign it.
    "governance:stage-assign": (POST, page(403, 403, 302, 403, 403)),
    "governance:stage-unassign": (POST, page(403, 403, 302, 403, 403)),
    "governance:recommendation": (GET, SIGNED_IN),
    "governance:audit": (GET, OVERSIGHT),
    "governance:audit-export": (GET, OVERSIGHT),
    "governance:inbox": (GET, SIGNED_IN),
    "governance:notifications-read": (POST, page(302, 302, 302, 302, 302)),
    "governance:notification-read": (POST, page(302, 404, 404, 404, 404)),  # the requester's own
    "governance:notification-preference": (POST, page(302, 302, 302, 302, 302)),
    "governance:reminders": (GET, ADMIN_ONLY),
    "governance:reminders-retry": (POST, page(403, 403, 403, 403, 302)),
    # The submitted use case's IT-review stage: only members of it-review decide it.
    "governance:decide": (POST, page(403, 403, 302, 403, 403)),
    "governance:grant-exception": (GET, page(403, 403, 403, 200, 200)),
    "governance:override-risk-tier": (GET, page(403, 403, 200, 403, 200)),
    # Rules and education
    "governance:policy-list": (GET, SIGNED_IN),
    "governance:policy-create": (GET, ADMIN_ONLY),
    "governance:policy-detail": (GET, SIGNED_IN),
    "governance:policy-update": (GET, ADMIN_ONLY),
    "governance:policy-draft": (GET, ADMIN_ONLY),
    "governance:policy-acknowledge": (POST, page(302, 302, 302, 302, 302)),
    "governance:policy-acknowledgements": (GET, page(403, 403, 403, 200, 200)),
    "governance:policy-version": (GET, SIGNED_IN),
    "governance:policy-publish": (POST, page(403, 403, 403, 403, 302)),
    "governance:course-list": (GET, SIGNED_IN),
    "governance:course-create": (GET, ADMIN_ONLY),
    "governance:course-detail": (GET, SIGNED_IN),
    "governance:course-update": (GET, ADMIN_ONLY),
    # The requester's own completion: the person, and those who read training figures.
    "governance:completion-evidence": (GET, page(200, 404, 404, 200, 200)),
    "governance:completion-remove": (POST, page(403, 403, 403, 403, 302)),
    "governance:prompt-list": (GET, SIGNED_IN),
    "governance:prompt-create": (GET, SIGNED_IN),
    # The requester's draft prompt: its owner and the approvers (reviewer, admin) see it.
    "governance:prompt-detail": (GET, page(200, 404, 200, 404, 200)),
    "governance:prompt-update": (GET, page(200, 404, 200, 404, 200)),
    "governance:prompt-approve": (POST, page(403, 404, 302, 404, 302)),  # never the author's own
    "governance:prompt-retire": (POST, page(302, 404, 302, 404, 302)),  # the owner may retire it
    "governance:prompt-use": (POST, page(400, 404, 400, 404, 400)),  # a draft is not counted as used
    "governance:prompt-rate": (POST, page(302, 404, 302, 404, 302)),
    # Imports: requesters import use cases, reviewers vendors and models, admins all; an import
    # (the requester's checked use-case file) is seen and confirmed only by the person who uploaded it.
    "imports:index": (GET, page(200, 200, 200, 403, 200)),
    "imports:template": (GET, page(200, 200, 403, 403, 200)),  # the use-case template
    "imports:detail": (GET, page(200, 404, 404, 403, 404)),
    "imports:confirm": (POST, page(302, 404, 404, 403, 404)),
    # Incidents: the requester's report about the draft, triaged by an incident manager (no
    # persona is one); the governance admin is not an incident manager either.
    "incidents:list": (GET, SIGNED_IN),
    "incidents:report": (GET, SIGNED_IN),
    "incidents:export": (GET, SIGNED_IN),  # each sees the rows they may read
    "incidents:evidence": (GET, INCIDENT_REPORTER),
    "incidents:detail": (GET, INCIDENT_REPORTER),
    "incidents:triage": (POST, INCIDENT_REPORTER_REFUSED),
    "incidents:transition": (POST, INCIDENT_REPORTER_REFUSED),
    "incidents:suspend": (POST, INCIDENT_REPORTER_REFUSED),
    "incidents:add-action": (POST, INCIDENT_REPORTER_REFUSED),
    "incidents:complete-action": (POST, INCIDENT_REPORTER_REFUSED),
    "incidents:deadline-done": (POST, INCIDENT_REPORTER_REFUSED),
    "incidents:add-evidence": (POST, page(302, 404, 404, 404, 404)),  # the reporter adds files (empty: a message)
    # Lifting a suspension of the draft (not suspended: a message) is the reviewers'.
    "incidents:lift": (POST, page(403, 404, 302, 403, 302)),
    # API root and documents
    "api:api-root": (GET, api(200, 200, 200, 200, 200)),
    "api-schema": (GET, everyone(200)),
    r"api/v1/^[\s\S]*/$": (GET, everyone(404)),  # any other path under the API: a JSON 404, no login needed
    r"^api/[\s\S]*/$": (GET, everyone(404)),  # any path under /api/ outside v1 (a line break included): the same
    "api-docs": (GET, everyone(200)),
    "api-redoc": (GET, everyone(200)),
}

# Keys of PAGES that are extra URLs of a route already listed (not patterns of their own).
PAGE_VARIANTS = {key for key in PAGES if "[" in key}

ADOPTION_FIGURES = ("summary", "approvals", "vendors", "cost-value", "education", "trend", "incidents")

# "METHOD /api/v1/path/" -> {persona: expected}
API = {
    # Adoption figures: the executive view (reviewers and admins read everything too)
    **{f"GET /api/v1/adoption/{name}/": API_OVERSIGHT for name in ADOPTION_FIGURES},
    # Exports for tokens: the pages' files, with the pages' roles (a dashboard table: "status").
    "GET /api/v1/adoption/export/{table}.csv": API_OVERSIGHT,
    "GET /api/v1/adoption/export/{table}.xlsx": API_OVERSIGHT,
    "GET /api/v1/use-cases/export.csv": API_SIGNED_IN,
    "GET /api/v1/use-cases/export.xlsx": API_SIGNED_IN,
    "GET /api/v1/vendors/export.csv": API_SIGNED_IN,
    "GET /api/v1/vendors/export.xlsx": API_SIGNED_IN,
    "GET /api/v1/audit-events/export.csv": API_OVERSIGHT,
    "GET /api/v1/me/": API_SIGNED_IN,
    "PATCH /api/v1/me/": API_SIGNED_IN,
    "POST /api/v1/recommendations/": API_SIGNED_IN,
    "GET /api/v1/roadmap/": API_SIGNED_IN,
    "GET /api/v1/roadmap/economics/": API_SIGNED_IN,
    "GET /api/v1/cost-settings/": API_SIGNED_IN,
    "PATCH /api/v1/cost-settings/": api(403, 403, 403, 403, 200),
    "GET /api/v1/exchange-rates/": API_SIGNED_IN,
    "POST /api/v1/exchange-rates/": api(403, 403, 403, 403, 400),
    "GET /api/v1/exchange-rates/{currency}/": API_SIGNED_IN,
    "PUT /api/v1/exchange-rates/{currency}/": api(403, 403, 403, 403, 400),
    "PATCH /api/v1/exchange-rates/{currency}/": api(403, 403, 403, 403, 200),
    "DELETE /api/v1/exchange-rates/{currency}/": api(403, 403, 403, 403, 204),
    "GET /api/v1/departments/": API_SIGNED_IN,
    "GET /api/v1/departments/{id}/": API_SIGNED_IN,
    # Tokens: everyone with a role holds their own; the world's token is the executive's.
    "GET /api/v1/tokens/": API_SIGNED_IN,
    "POST /api/v1/tokens/": api(400, 400, 400, 400, 400),
    "GET /api/v1/tokens/{id}/": api(404, 404, 404, 200, 404),
    "POST /api/v1/tokens/{id}/revoke/": api(404, 404, 404, 200, 404),
    # Use cases: the marketing draft
    "GET /api/v1/use-cases/": API_SIGNED_IN,
    "POST /api/v1/use-cases/": api(400, 400, 403, 403, 400),
    "GET /api/v1/use-cases/{reference}/": api(200, 404, 200, 200, 200),
    "PUT /api/v1/use-cases/{reference}/": api(400, 404, 403, 403, 403),
    "PATCH /api/v1/use-cases/{reference}/": api(200, 404, 403, 403, 403),
    "POST /api/v1/use-cases/{reference}/submit/": api(200, 404, 403, 403, 403),
    "POST /api/v1/use-cases/{reference}/withdraw/": api(200, 404, 403, 403, 403),
    "POST /api/v1/use-cases/{reference}/measurements/": api(400, 404, 403, 403, 400),
    "GET /api/v1/use-cases/{reference}/comments/": api(200, 404, 200, 200, 200),
    "POST /api/v1/use-cases/{reference}/comments/": api(400, 404, 400, 400, 400),
    "GET /api/v1/use-cases/{reference}/comments/{comment_id}/": api(200, 404, 200, 200, 200),
    "PATCH /api/v1/use-cases/{reference}/comments/{comment_id}/": api(400, 404, 403, 403, 403),
    "DELETE /api/v1/use-cases/{reference}/comments/{comment_id}/": api(409, 404, 403, 403, 403),
    "GET /api/v1/use-cases/{reference}/economics/": api(200, 404, 200, 200, 200),
    "PATCH /api/v1/use-cases/{reference}/economics/assumptions/": api(200, 404, 200, 403, 200),
    "GET /api/v1/use-cases/{reference}/economics/benefits/": api(200, 404, 200, 200, 200),
    "POST /api/v1/use-cases/{reference}/economics/benefits/": api(400, 404, 400, 403, 400),
    "GET /api/v1/use-cases/{reference}/roadmap/": api(200, 404, 200, 200, 200),
    "GET /api/v1/use-cases/{reference}/roadmap/{kind}/": api(200, 404, 200, 200, 200),
    "PUT /api/v1/use-cases/{reference}/roadmap/{kind}/": api(400, 404, 400, 403, 400),
    "GET /api/v1/use-cases/{reference}/roadmap/model-roles/": api(200, 404, 200, 200, 200),
    "PUT /api/v1/use-cases/{reference}/roadmap/model-roles/": api(400, 404, 400, 403, 400),
    # A draft is at no roadmap step yet: 409 for those who may move it.
    "POST /api/v1/use-cases/{reference}/roadmap/advance/": api(409, 404, 409, 403, 409),
    "POST /api/v1/use-cases/{reference}/roadmap/go-live/": api(409, 404, 409, 403, 409),
    "POST /api/v1/use-cases/{reference}/roadmap/move-back/": api(400, 404, 400, 403, 400),
    "POST /api/v1/use-cases/{reference}/roadmap/retire/": api(400, 404, 400, 403, 400),
    # Vendor registry
    "GET /api/v1/vendors/": API_SIGNED_IN,
    "POST /api/v1/vendors/": api(403, 403, 400, 403, 400),
    "GET /api/v1/vendors/{id}/": API_SIGNED_IN,
    "PUT /api/v1/vendors/{id}/": api(403, 403, 400, 403, 400),
    "PATCH /api/v1/vendors/{id}/": api(403, 403, 200, 403, 200),
    "GET /api/v1/ai-models/": API_SIGNED_IN,
    "POST /api/v1/ai-models/": api(403, 403, 400, 403, 400),
    "GET /api/v1/ai-models/{id}/": API_SIGNED_IN,
    "PUT /api/v1/ai-models/{id}/": api(403, 403, 400, 403, 400),
    "PATCH /api/v1/ai-models/{id}/": api(403, 403, 200, 403, 200),
    "GET /api/v1/licences/": API_SIGNED_IN,
    "POST /api/v1/licences/": api(403, 403, 403, 403, 400),
    "GET /api/v1/licences/{id}/": API_SIGNED_IN,
    "PUT /api/v1/licences/{id}/": api(403, 403, 403, 403, 400),
    "PATCH /api/v1/licences/{id}/": api(403, 403, 403, 403, 200),
    "GET /api/v1/questionnaire-templates/": API_VENDOR_STAFF,
    "GET /api/v1/questionnaire-templates/{id}/": API_VENDOR_STAFF,
    "GET /api/v1/template-versions/": API_VENDOR_STAFF,
    "GET /api/v1/template-versions/{id}/": API_VENDOR_STAFF,
    "GET /api/v1/assessments/": API_VENDOR_STAFF,
    "POST /api/v1/assessments/": api(403, 403, 400, 403, 400),
    "GET /api/v1/assessments/{reference}/": API_VENDOR_STAFF,
    "POST /api/v1/assessments/{reference}/decide/": api(403, 403, 400, 403, 400),
    "POST /api/v1/assessments/{reference}/reissue/": API_VENDOR_STAFF,
    "POST /api/v1/assessments/{reference}/revoke/": API_VENDOR_STAFF,
    # Approval workflow: the submitted use case (published, so every role reads it) and its IT-review stage
    "GET /api/v1/approval-stages/": API_SIGNED_IN,
    "GET /api/v1/approval-stages/{id}/": API_SIGNED_IN,
    "POST /api/v1/approval-stages/{id}/decide/": api(403, 403, 400, 403, 403),
    # Only members of the stage's group assign it; {} assigns the caller.
    "POST /api/v1/approval-stages/{id}/assign/": api(403, 403, 200, 403, 403),
    "POST /api/v1/approval-stages/{id}/unassign/": api(403, 403, 200, 403, 403),
    "GET /api/v1/findings/": API_SIGNED_IN,
    "GET /api/v1/policy-exceptions/": API_SIGNED_IN,
    "POST /api/v1/policy-exceptions/": api(403, 403, 403, 400, 400),
    "GET /api/v1/policy-exceptions/{id}/": API_SIGNED_IN,
    "GET /api/v1/use-case-reviews/{reference}/": API_SIGNED_IN,
    "POST /api/v1/use-case-reviews/{reference}/override-risk-tier/": api(403, 403, 400, 403, 400),
    "GET /api/v1/classification-levels/": API_SIGNED_IN,
    "GET /api/v1/classification-levels/{id}/": API_SIGNED_IN,
    "PATCH /api/v1/classification-levels/{id}/": api(403, 403, 403, 403, 200),
    "GET /api/v1/classification-rules/": API_SIGNED_IN,
    "GET /api/v1/classification-rules/{id}/": API_SIGNED_IN,
    "PATCH /api/v1/classification-rules/{id}/": api(403, 403, 403, 403, 200),
    "GET /api/v1/audit-events/": API_OVERSIGHT,
    "GET /api/v1/audit-events/{id}/": API_OVERSIGHT,
    # Reminders (admin) and each person's own notifications (the world's is the requester's)
    # My tasks: everyone signed in reads their own (never anyone else's)
    "GET /api/v1/tasks/": API_SIGNED_IN,
    "GET /api/v1/tasks/counts/": API_SIGNED_IN,
    "GET /api/v1/reminders/": API_ADMIN_ONLY_READ,
    "GET /api/v1/reminders/{id}/": API_ADMIN_ONLY_READ,
    "POST /api/v1/reminders/{id}/retry/": api(403, 403, 403, 403, 200),
    "GET /api/v1/notifications/": API_SIGNED_IN,
    "POST /api/v1/notifications/read-all/": API_SIGNED_IN,
    "GET /api/v1/notifications/{id}/": api(200, 404, 404, 404, 404),
    "POST /api/v1/notifications/{id}/read/": api(200, 404, 404, 404, 404),
    # Rules and education
    "GET /api/v1/policies/": API_SIGNED_IN,
    "POST /api/v1/policies/": api(403, 403, 403, 403, 400),
    "GET /api/v1/policies/pending/": API_SIGNED_IN,
    "GET /api/v1/policies/{key}/": API_SIGNED_IN,
    "PUT /api/v1/policies/{key}/": api(403, 403, 403, 403, 400),
    "PATCH /api/v1/policies/{key}/": api(403, 403, 403, 403, 200),
    "POST /api/v1/policies/{key}/acknowledge/": API_SIGNED_IN,
    "GET /api/v1/policies/{key}/acknowledgements/": api(403, 403, 403, 200, 200),
    "POST /api/v1/policies/{key}/draft/": api(403, 403, 403, 403, 400),
    "POST /api/v1/policies/{key}/publish/": api(403, 403, 403, 403, 200),
    "GET /api/v1/policies/{key}/versions/{number}/": API_SIGNED_IN,
    "GET /api/v1/training-courses/": API_SIGNED_IN,
    "POST /api/v1/training-courses/": api(403, 403, 403, 403, 400),
    "GET /api/v1/training-courses/{key}/": API_SIGNED_IN,
    "PUT /api/v1/training-courses/{key}/": api(403, 403, 403, 403, 400),
    "PATCH /api/v1/training-courses/{key}/": api(403, 403, 403, 403, 200),
    "GET /api/v1/training-courses/{key}/rates/": api(403, 403, 403, 200, 200),
    "GET /api/v1/training-completions/": API_SIGNED_IN,
    "POST /api/v1/training-completions/": api(400, 400, 400, 400, 400),
    "GET /api/v1/training-completions/{id}/": api(200, 404, 404, 200, 200),
    "POST /api/v1/training-completions/{id}/remove/": api(403, 403, 403, 403, 400),
    "GET /api/v1/prompt-templates/": API_SIGNED_IN,
    "POST /api/v1/prompt-templates/": api(400, 400, 400, 400, 400),
    "GET /api/v1/prompt-templates/{id}/": api(200, 404, 200, 404, 200),
    "PUT /api/v1/prompt-templates/{id}/": api(400, 404, 400, 404, 400),
    "PATCH /api/v1/prompt-templates/{id}/": api(200, 404, 200, 404, 200),
    "POST /api/v1/prompt-templates/{id}/approve/": api(403, 404, 200, 404, 200),
    "POST /api/v1/prompt-templates/{id}/fill/": api(400, 404, 400, 404, 400),
    "POST /api/v1/prompt-templates/{id}/rate/": api(400, 404, 400, 404, 400),
    "POST /api/v1/prompt-templates/{id}/retire/": api(200, 404, 200, 404, 200),
    "GET /api/v1/imports/": api(200, 200, 200, 403, 200),
    "POST /api/v1/imports/": api(400, 400, 400, 403, 400),
    "GET /api/v1/imports/{id}/": api(200, 404, 404, 403, 404),
    "POST /api/v1/imports/{id}/confirm/": api(200, 404, 404, 403, 404),
    # Incidents: anyone reports (an empty body is refused); the reporter reads; handlers act.
    "GET /api/v1/incidents/": API_SIGNED_IN,
    "POST /api/v1/incidents/": api(400, 400, 400, 400, 400),
    "GET /api/v1/incidents/{reference}/": API_INCIDENT_REPORTER,
    "POST /api/v1/incidents/{reference}/triage/": API_INCIDENT_REFUSED,
    "POST /api/v1/incidents/{reference}/assign/": API_INCIDENT_REFUSED,
    "POST /api/v1/incidents/{reference}/contain/": API_INCIDENT_REFUSED,
    "POST /api/v1/incidents/{reference}/resolve/": API_INCIDENT_REFUSED,
    "POST /api/v1/incidents/{reference}/close/": API_INCIDENT_REFUSED,
    "POST /api/v1/incidents/{reference}/reject/": API_INCIDENT_REFUSED,
    "POST /api/v1/incidents/{reference}/suspend-use-case/": API_INCIDENT_REFUSED,
    "POST /api/v1/incidents/{reference}/actions/": API_INCIDENT_REFUSED,
    "GET /api/v1/incident-deadlines/": API_SIGNED_IN,
    "GET /api/v1/incident-deadlines/{id}/": API_INCIDENT_REPORTER,
    "POST /api/v1/incident-deadlines/{id}/done/": API_INCIDENT_REFUSED,
    "GET /api/v1/incident-actions/": API_SIGNED_IN,
    "GET /api/v1/incident-actions/{id}/": API_INCIDENT_REPORTER,
    "POST /api/v1/incident-actions/{id}/done/": API_INCIDENT_REFUSED,
}

# --- Django admin --------------------------------------------------------------------------------
# What the governance admin (staff, not superuser) may do per registered model, as the roles
# migration and the ModelAdmins grant it: "view", "add", "change", "delete". Nobody else is staff.
ADMIN_MODELS = {
    "auth.group": "",
    "axes.accessattempt": "",
    "axes.accessfailurelog": "",
    "axes.accesslog": "",
    "django_celery_beat.clockedschedule": "",
    "django_celery_beat.crontabschedule": "",
    "django_celery_beat.intervalschedule": "",
    "django_celery_beat.periodictask": "",
    "django_celery_beat.solarschedule": "",
    "portal.department": "view add change",
    "portal.user": "view add change",
    "portal.auditevent": "view",  # read-only: the audit trail is append-only
    "portal.referencesequence": "",
    "portal.apitoken": "",
    "portal.ssogroupmapping": "view add change delete",  # audited, deletions included
    "usecases.usecase": "view",  # read-only: use cases change through the services
    "usecases.kpi": "",
    "usecases.kpimeasurement": "",
    "usecases.usecasetask": "",
    "usecases.costsettings": "view change",  # a single row (seeded): no add, no delete
    "usecases.exchangerate": "view add change delete",
    "vendors.vendor": "view add change",
    "vendors.licence": "view add change",
    "vendors.aimodel": "view add change",
    "vendors.questionnairetemplate": "view add change",
    "vendors.templateversion": "",
    "vendors.templatesection": "",
    "vendors.question": "",
    "vendors.assessment": "view",
    "vendors.evidencefile": "",
    "governance.classificationlevel": "view change",
    "governance.classificationrule": "view change",
    "governance.stagedefinition": "view add change",
    "governance.risktiersetting": "view change",
    "governance.approvalstage": "",
    "governance.finding": "",
    "governance.policyexception": "",
    "governance.remindersetting": "view change",
    "governance.delegation": "view add change",
    "governance.reminder": "view",
    "governance.chatdestination": "view add change",  # switched off with "active", not deleted
    "governance.policydocument": "view",
    "governance.policyversion": "",
    "governance.policyacknowledgement": "view",
    "governance.trainingcourse": "view",
    "governance.trainingcompletion": "view",
    "governance.prompttemplate": "view",
    "incidents.incident": "view",  # read-only: incidents change through the services
    "incidents.deadlinerule": "view add change",  # audited edits; switched off, never deleted
    "incidents.deadline": "view change",  # an admin may move a due date (audited)
}

# The admin site's own views: (method, {persona: expected}). Non-staff are sent to the admin
# login, except on the login page itself (which tells a signed-in non-staff user so) and logout.
_NOT_STAFF = dict.fromkeys(PERSONAS, ADMIN_LOGIN)
ADMIN_SITE = {
    "admin:index": (GET, {**_NOT_STAFF, "admin": 200}),
    "admin:login": (GET, {**everyone(200), "admin": 302}),  # staff: on to the admin index
    # Staff: signed out, on to the login page; others: to the admin index (and from there to its login).
    "admin:logout": (POST, {**dict.fromkeys(PERSONAS, 302), "admin": LOGIN}),
    "admin:password_change": (GET, {**_NOT_STAFF, "admin": 200}),
    "admin:password_change_done": (GET, {**_NOT_STAFF, "admin": 200}),
    "admin:autocomplete": (GET, {**_NOT_STAFF, "admin": 403}),  # no field named: refused
    "admin:jsi18n": (GET, {**_NOT_STAFF, "admin": 200}),
    "admin:view_on_site": (GET, {**_NOT_STAFF, "admin": 302}),  # to the draft's own page (which checks again)
    "admin/(?P<url>.*)$": (GET, {**_NOT_STAFF, "admin": 404}),  # an unknown admin URL
}

# Cells whose correct expectation (above) is not what the code does today. They are collected
# as ``test_pending_bug_permission_cell`` and fail until the fix lands (then delete the entry:
# the completeness test also fails on an entry that names no cell). key -> {persona: "today"}.
KNOWN_BUGS = {}


def page_expectation(key, persona):
    method, expected = PAGES[key]
    return method, expected[persona]


def api_expectation(key, persona):
    return API[key][persona]


def admin_rights(label):
    return set(ADMIN_MODELS[label].split())


def admin_model_expectation(label, view, persona):
    """The rule for a model's admin views: non-staff to the admin login; the governance admin
    per ``ADMIN_MODELS`` (changelist, change form and history need view or change)."""
    if persona != "admin":
        return ADMIN_LOGIN
    rights = admin_rights(label)
    if view == "redirect":  # admin/<app>/<model>/<id>/ -> .../<id>/change/
        return 302
    needed = {
        "changelist": {"view", "change"},
        "change": {"view", "change"},
        "history": {"view", "change"},
        "add": {"add"},
        "delete": {"delete"},
        "password_change": {"change"},
    }[view]
    return 200 if rights & needed else 403


def admin_app_expectation(app_label, persona):
    """admin/<app>/: the app's page for staff with any right in it, 404 otherwise."""
    if persona != "admin":
        return ADMIN_LOGIN
    has_any = any(rights for label, rights in ADMIN_MODELS.items() if label.split(".")[0] == app_label)
    return 200 if has_any else 404
