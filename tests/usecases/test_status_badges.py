"""Status badges by meaning: every state of every model maps to one meaning, and the
meaning depends on the reader (changes requested wait on the requester, review on the deciders)."""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone

from governance import services
from governance.badges import STATUS_MAPS
from governance.choices import StageStatus
from governance.models import ApprovalStage, PolicyException
from portal.badges import BADGES, WAITING, Meaning, badge_for
from tests.factories import VendorFactory
from tests.governance.reviewer_helpers import current, submitted
from usecases.choices import UseCaseStatus
from usecases.models import UseCase
from vendors.choices import AssessmentStatus
from vendors.models import Assessment

MODELS = {
    "usecases.UseCase": UseCaseStatus.values,
    "governance.ApprovalStage": StageStatus.values,
    "vendors.Assessment": AssessmentStatus.values,
    "governance.PolicyException": ["valid", "expired"],
}


def test_every_state_of_every_model_has_a_meaning():
    assert set(STATUS_MAPS) == set(MODELS)
    for label, states in MODELS.items():
        status_map = BADGES[label]  # installed at start-up
        assert status_map is STATUS_MAPS[label]
        assert set(status_map.states) == set(states) == set(status_map.all_states), label
        for state, meaning in status_map.states.items():
            assert meaning == WAITING or meaning in Meaning.values, (label, state)
            if meaning == WAITING:
                assert status_map.is_mine is not None, (label, state)


def test_each_meaning_has_its_own_style_with_a_text_label():
    css = (Path(settings.BASE_DIR) / "portal" / "static" / "portal" / "portal.css").read_text()
    for meaning in Meaning:
        assert f".status-{meaning.value} " in css
        assert str(meaning.label)


@pytest.mark.django_db
def test_changes_requested_waits_on_the_requester_only(requester, reviewer):
    use_case = submitted(requester)
    services.decide_stage(current(use_case), reviewer, "request_changes", "Name the data source.")
    use_case = UseCase.objects.get(pk=use_case.pk)
    assert badge_for(use_case, requester).meaning == Meaning.WAITING_ON_ME
    assert badge_for(use_case, reviewer).meaning == Meaning.WAITING_ON_OTHERS
    stage = ApprovalStage.objects.select_related("use_case").get(use_case=use_case)
    assert badge_for(stage, requester).meaning == Meaning.WAITING_ON_ME


@pytest.mark.django_db
def test_in_review_waits_on_the_deciders(requester, reviewer, legal_reviewer):
    use_case = submitted(requester)
    assert badge_for(use_case, reviewer).meaning == Meaning.WAITING_ON_ME
    assert badge_for(use_case, requester).meaning == Meaning.WAITING_ON_OTHERS
    assert badge_for(use_case, legal_reviewer).meaning == Meaning.WAITING_ON_OTHERS
    stage = current(use_case)
    stage.use_case = use_case
    assert badge_for(stage, reviewer).meaning == Meaning.WAITING_ON_ME
    # Assigned to someone else: no longer waiting on me.
    stage.assigned_to_id = legal_reviewer.pk
    assert badge_for(stage, reviewer).meaning == Meaning.WAITING_ON_OTHERS


@pytest.mark.django_db
def test_done_refused_and_neutral(requester, reviewer):
    draft = submitted(requester)
    draft.status = UseCaseStatus.DRAFT
    assert badge_for(draft, requester).meaning == Meaning.NEUTRAL
    draft.status = UseCaseStatus.APPROVED
    assert badge_for(draft, requester).meaning == Meaning.DONE
    draft.status = UseCaseStatus.REJECTED
    assert badge_for(draft, requester).meaning == Meaning.REFUSED
    assessment = Assessment(vendor=VendorFactory(), status=AssessmentStatus.SENT)
    assert badge_for(assessment, reviewer).meaning == Meaning.WAITING_ON_OTHERS
    assessment.status = AssessmentStatus.SUBMITTED
    assert badge_for(assessment, reviewer).meaning == Meaning.WAITING_ON_ME
    assert badge_for(assessment, requester).meaning == Meaning.WAITING_ON_OTHERS
    expired = PolicyException(expires_on=timezone.localdate() - datetime.timedelta(days=1))
    assert (badge_for(expired, reviewer).meaning, badge_for(expired, reviewer).state) == (Meaning.NEUTRAL, "expired")


@pytest.mark.django_db
def test_the_tag_renders_label_and_meaning(requester, reviewer):
    use_case = submitted(requester)
    services.decide_stage(current(use_case), reviewer, "request_changes", "Name the data source.")
    use_case = UseCase.objects.get(pk=use_case.pk)
    request = RequestFactory().get("/")
    template = Template('{% load status_badges %}{% status_badge use_case "status" %}')

    def render(user):
        request.user = user
        return template.render(Context({"request": request, "use_case": use_case}))

    mine, theirs = render(requester), render(reviewer)
    assert 'data-meaning="waiting_on_me"' in mine and "status-waiting_on_me" in mine
    assert 'data-meaning="waiting_on_others"' in theirs
    label = str(UseCaseStatus.CHANGES_REQUESTED.label)
    assert f'<span id="status">{label}</span>' in mine and f'<span id="status">{label}</span>' in theirs
    assert str(Meaning.WAITING_ON_ME.label) in mine  # said in words, not by colour alone
    assert 'class="visually-hidden"' in theirs


@pytest.mark.django_db
def test_pages_use_the_badge(client, requester):
    use_case = submitted(requester)
    client.force_login(requester)
    for url in (use_case.get_absolute_url(), "/usecases/"):
        content = client.get(url).content.decode()
        assert 'data-meaning="waiting_on_others"' in content, url


@pytest.mark.django_db
def test_the_inventory_badges_cost_the_same_for_more_rows(client, requester, reviewer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(reviewer)
    client.get("/usecases/")

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/usecases/")
        assert response.status_code == 200
        return len(queries.captured_queries), response.content.decode().count('data-meaning="waiting_on_me"')

    for _ in range(2):
        submitted(requester)
    small = count()
    for _ in range(8):
        submitted(requester)
    large = count()
    assert (small[1], large[1]) == (2, 10)
    assert small[0] == large[0], (small, large)
