from django.urls import include, path

import portal.converters  # noqa: F401 - registers <reference:...>
from governance import review_views, views

app_name = "governance"

urlpatterns = [
    path("matrix/", views.MatrixView.as_view(), name="matrix"),
    path("matrix/rules/<int:pk>/edit/", views.MatrixRuleUpdateView.as_view(), name="rule-update"),
    path("matrix/levels/<int:pk>/edit/", views.LevelUpdateView.as_view(), name="level-update"),
    path("queue/", review_views.ReviewQueueView.as_view(), name="queue"),
    path("stages/<int:pk>/assign/", review_views.StageAssignView.as_view(), name="stage-assign"),
    path("stages/<int:pk>/unassign/", review_views.StageUnassignView.as_view(), name="stage-unassign"),
    path("delegations/", review_views.DelegationView.as_view(), name="delegations"),
    path("delegations/<int:pk>/end/", review_views.DelegationEndView.as_view(), name="delegation-end"),
    path("recommendation/", views.RecommendationView.as_view(), name="recommendation"),
    path("audit/", views.AuditListView.as_view(), name="audit"),
    path("notifications/", views.InboxView.as_view(), name="inbox"),
    path("notifications/read/", views.NotificationReadView.as_view(), name="notifications-read"),
    path("notifications/<int:pk>/read/", views.NotificationReadView.as_view(), name="notification-read"),
    path("notifications/preference/", views.NotificationPreferenceView.as_view(), name="notification-preference"),
    path("reminders/", views.ReminderListView.as_view(), name="reminders"),
    path("reminders/retry/", views.ReminderRetryView.as_view(), name="reminders-retry"),
    path("audit/export.csv", views.AuditExportView.as_view(), name="audit-export"),
    path("usecases/<reference:reference>/stages/<int:pk>/decide/", views.StageDecideView.as_view(), name="decide"),
    path("usecases/<reference:reference>/exceptions/new/", views.GrantExceptionView.as_view(), name="grant-exception"),
    path("usecases/<reference:reference>/risk-tier/", views.RiskTierOverrideView.as_view(), name="override-risk-tier"),
    path("", include("governance.education.urls")),
]
