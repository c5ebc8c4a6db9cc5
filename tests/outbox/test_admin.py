"""The outbox and the suppression list in Django admin: filters, retry, cancel, find by address."""

from datetime import timedelta

import pytest
from django.utils import timezone

from idei.outbox import services as outbox_services
from idei.outbox import suppression
from idei.outbox.models import OutgoingMessage, Suppression
from letters.models import MessageKind
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
Status = OutgoingMessage.Status
LIST = "/admin/outbox/outgoingmessage/"


@pytest.fixture
def admin(client):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


def message(key, to="o@gov.example.org", status=Status.QUEUED, **fields):
    row = outbox_services.enqueue(
        kind=MessageKind.LETTER, key=key, to=to, subject="s", body_text="b\n", send=False
    )
    OutgoingMessage.objects.filter(pk=row.pk).update(status=status, **fields)
    row.refresh_from_db()
    return row


def shown(response) -> set[int]:
    return {row.pk for row in response.context["cl"].result_list}


@pytest.mark.parametrize(
    "query",
    ["", "?status=failed", "?kind__exact=letter", "?domain=gov.example.org", "?older_than=1h"],
)
def test_the_outbox_list_loads_with_each_filter_and_shows_no_address(admin, query):
    message("a", to="secret.person@gov.example.org", status=Status.FAILED)
    response = admin.get(LIST + query)
    assert response.status_code == 200
    assert b"secret.person" not in response.content


def test_the_domain_filter_keeps_only_that_domain(admin):
    ministry = message("m", to="a@Ministry.example.org")
    message("other", to="b@other.example.org")
    assert shown(admin.get(LIST + "?domain=ministry.example.org")) == {ministry.pk}


def test_the_age_filter_keeps_only_older_messages(admin):
    old = message("old", created_at=timezone.now() - timedelta(hours=2))
    message("new")
    assert shown(admin.get(LIST + "?older_than=1h")) == {old.pk}


def test_hostile_filter_values_change_nothing_and_are_escaped(admin):
    message("x")
    response = admin.get(LIST + "?domain=<script>alert(1)</script>&older_than=forever")
    assert response.status_code == 200
    assert b"<script>alert(1)</script>" not in response.content


def test_retry_sends_failed_and_cancelled_messages_again_but_never_a_sent_one(
    admin, mailoutbox, django_capture_on_commit_callbacks
):
    failed = message("f", to="f@gov.example.org", status=Status.FAILED, attempts=3)
    cancelled = message("c", to="c@gov.example.org", status=Status.CANCELLED)
    sent = message("s", status=Status.SENT)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            LIST, {"action": "retry", "_selected_action": [failed.pk, cancelled.pk, sent.pk]}
        )
    assert response.status_code == 302
    for row in (failed, cancelled, sent):
        row.refresh_from_db()
        assert row.status == Status.SENT  # the retried ones sent inline (eager tasks in tests)
    assert sorted(m.to[0] for m in mailoutbox) == ["c@gov.example.org", "f@gov.example.org"]


def test_cancel_stops_only_queued_messages(admin):
    queued = message("q")
    failed = message("f2", status=Status.FAILED)
    admin.post(LIST, {"action": "cancel", "_selected_action": [queued.pk, failed.pk]})
    queued.refresh_from_db()
    failed.refresh_from_db()
    assert (queued.status, failed.status) == (Status.CANCELLED, Status.FAILED)


def test_a_view_only_staff_member_can_neither_retry_nor_cancel(client):
    from django.contrib.auth.models import Permission

    user = UserFactory(username="viewer", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_outgoingmessage"))
    client.force_login(user)
    queued = message("v")
    client.post(LIST, {"action": "cancel", "_selected_action": [queued.pk]})
    queued.refresh_from_db()
    assert queued.status == Status.QUEUED


def test_the_suppression_list_finds_an_entry_by_the_typed_address(admin):
    suppression.suppress("Found@Example.org", Suppression.Reason.BOUNCE)
    suppression.suppress("other@example.org", Suppression.Reason.COMPLAINT)
    response = admin.get("/admin/outbox/suppression/", {"q": " found@example.org "})
    assert [e.reason for e in response.context["cl"].result_list] == ["bounce"]


def test_an_operator_adds_an_address_and_only_its_hash_is_kept(admin):
    response = admin.post(
        "/admin/outbox/suppression/add/",
        {"address": "Added@Example.org", "reason": "manual", "detail": "asked by phone"},
    )
    assert response.status_code == 302
    entry = Suppression.objects.get()
    assert entry.address_hash == suppression.address_hash("added@example.org")
    assert suppression.find("added@example.org") == entry


@pytest.mark.parametrize("address", ["not an address", "a@b@c", "x" * 300 + "@example.org", ""])
def test_a_malformed_address_is_refused_with_a_message(admin, address):
    response = admin.post(
        "/admin/outbox/suppression/add/", {"address": address, "reason": "manual", "detail": ""}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["address"]
    assert not Suppression.objects.exists()


def test_adding_the_same_address_twice_keeps_one_entry(admin):
    data = {"address": "twice@example.org", "reason": "manual", "detail": ""}
    admin.post("/admin/outbox/suppression/add/", data)
    response = admin.post("/admin/outbox/suppression/add/", data)
    assert response.status_code == 200
    assert "already" in str(response.context["adminform"].form.errors["address"])
    assert Suppression.objects.count() == 1


def test_signatures_of_a_bounced_address_are_marked_and_filtered_in_admin(admin):
    from tests.letters.factories import SignatureFactory

    gone = SignatureFactory(email="gone@example.net", email_key="gone@example.net")
    SignatureFactory(email="here@example.net", email_key="here@example.net")
    suppression.suppress("gone@example.net", Suppression.Reason.BOUNCE)

    response = admin.get("/admin/letters/signature/", {"bounced_at__isnull": "False"})
    assert response.status_code == 200
    assert [s.pk for s in response.context["cl"].result_list] == [gone.pk]
