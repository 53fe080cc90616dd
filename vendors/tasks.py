"""Celery tasks of the vendor registry.

The questionnaire e-mail is no task of its own any more: ``vendors.assessments`` publishes
``vendor.invitation`` (``portal.events``) and the notification outbox sends it, retries it
and reports its outcome through ``vendors.invitations.record_invitation_result``.
"""
