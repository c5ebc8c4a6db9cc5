"""Member and invitation workflows (campaigns.services): an organisation always keeps an owner.

The concurrency tests run on real PostgreSQL. The test holds the organisation's lock while it
starts two requests in threads, and lets go only once both wait for that lock: both have read
and authorised before either writes, which is exactly the race the services must survive.
"""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import Client, TestCase
from django.utils import timezone

from campaigns import services
from campaigns.models import Invitation, Membership, Organisation
from idei.outbox.models import OutgoingMessage
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

OWNER = Membership.Role.OWNER
Kind = services.MessageKind


def owners_of(organisation) -> list[str]:
    return sorted(
        Membership.objects.filter(organisation=organisation, role=OWNER).values_list(
            "user__username", flat=True
        )
    )


def two_owners():
    organisation = OrganisationFactory(slug="our-org")
    alice = MembershipFactory(user__username="alice", organisation=organisation, role=OWNER)
    bob = MembershipFactory(user__username="bob", organisation=organisation, role=OWNER)
    return organisation, alice, bob


# -- The last owner ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_only_owner_cannot_be_demoted():
    organisation = OrganisationFactory()
    owner = MembershipFactory(organisation=organisation, role=OWNER)
    with pytest.raises(services.LastOwner):
        services.change_role(owner, "viewer", acting=owner.user)
    assert owners_of(organisation) == [owner.user.username]


@pytest.mark.django_db
def test_the_only_owner_cannot_be_removed_even_by_an_admin():
    organisation = OrganisationFactory()
    owner = MembershipFactory(organisation=organisation, role=OWNER)
    admin = UserFactory(is_superuser=True)
    with pytest.raises(services.LastOwner):
        services.remove_member(owner, acting=admin)
    assert owners_of(organisation) == [owner.user.username]


@pytest.mark.django_db
def test_an_owner_may_step_down_while_another_owner_remains():
    organisation, alice, _bob = two_owners()
    membership, changed = services.change_role(alice, "coordinator", acting=alice.user)
    assert changed and membership.role == "coordinator"
    assert owners_of(organisation) == ["bob"]


@pytest.mark.django_db
def test_the_same_role_again_changes_nothing():
    organisation, alice, bob = two_owners()
    _membership, changed = services.change_role(bob, OWNER, acting=alice.user)
    assert not changed
    assert owners_of(organisation) == ["alice", "bob"]


@pytest.mark.django_db
def test_an_owner_demoted_since_their_page_loaded_can_no_longer_act():
    organisation, alice, bob = two_owners()
    services.change_role(bob, "viewer", acting=alice.user)
    with pytest.raises(services.NotAnOwner):
        services.remove_member(alice, acting=bob.user)
    assert owners_of(organisation) == ["alice"]


@pytest.mark.django_db
def test_a_member_who_already_left_cannot_be_changed():
    _organisation, alice, bob = two_owners()
    stale = Membership.objects.get(pk=bob.pk)
    services.remove_member(bob, acting=alice.user)
    with pytest.raises(Membership.DoesNotExist):
        services.change_role(stale, "viewer", acting=alice.user)


# -- Concurrency on PostgreSQL -----------------------------------------------------------------


def waiting_for_a_lock() -> int:
    """Backends of the test database now waiting for a lock (stats are read afresh)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def run_together(organisation, *calls):
    """Run each call in its own thread, all of them in flight before any may write.

    Returns what each call returned or raised, in order.
    """
    results = [None] * len(calls)

    def run(index, call):
        try:
            results[index] = call()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    with transaction.atomic():
        services.lock_organisation(organisation.pk)
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while waiting_for_a_lock() < len(calls):
            assert time.monotonic() < deadline, "the calls never waited for the lock"
            time.sleep(0.02)
    for thread in threads:
        thread.join(timeout=20)
        assert not thread.is_alive()
    return results


def refused(results) -> list[type]:
    return [type(result) for result in results if isinstance(result, Exception)]


@pytest.mark.django_db(transaction=True)
def test_two_owners_demoting_each_other_at_once_leave_one_owner(postgres):
    organisation, alice, bob = two_owners()
    results = run_together(
        organisation,
        lambda: services.change_role(bob, "viewer", acting=alice.user),
        lambda: services.change_role(alice, "viewer", acting=bob.user),
    )
    # The second finds that its author was demoted by the first.
    assert refused(results) == [services.NotAnOwner]
    assert len(owners_of(organisation)) == 1


@pytest.mark.django_db(transaction=True)
def test_two_owners_removing_each_other_at_once_leave_one_owner(postgres):
    organisation, alice, bob = two_owners()
    results = run_together(
        organisation,
        lambda: services.remove_member(bob, acting=alice.user),
        lambda: services.remove_member(alice, acting=bob.user),
    )
    assert refused(results) == [services.NotAnOwner]
    assert len(owners_of(organisation)) == 1
    assert Membership.objects.filter(organisation=organisation).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("action", ["step_down", "leave"])
def test_two_owners_stepping_down_at_once_leave_one_owner(postgres, action):
    """Each saw the other as an owner: read-then-write without a lock would leave none."""
    organisation, alice, bob = two_owners()

    def act(membership):
        if action == "leave":
            return lambda: services.remove_member(membership, acting=membership.user)
        return lambda: services.change_role(membership, "coordinator", acting=membership.user)

    results = run_together(organisation, act(alice), act(bob))
    assert refused(results) == [services.LastOwner]
    assert len(owners_of(organisation)) == 1


@pytest.mark.django_db(transaction=True)
def test_two_owners_removing_each_other_through_the_dashboard_leave_one_owner(postgres):
    organisation, alice, bob = two_owners()
    clients = {}
    for membership in (alice, bob):
        clients[membership.user.username] = Client()
        clients[membership.user.username].force_login(membership.user)
    path = "/dashboard/organisations/our-org/members/{}/remove/"
    responses = run_together(
        organisation,
        lambda: clients["alice"].post(path.format(bob.pk)),
        lambda: clients["bob"].post(path.format(alice.pk)),
    )
    assert sorted(response.status_code for response in responses) == [302, 404]
    assert len(owners_of(organisation)) == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_invitation_submitted_twice_at_once_is_made_and_sent_once(postgres, mailoutbox):
    organisation, alice, _bob = two_owners()

    def invite():
        return services.invite(
            organisation, email="new@example.org", role="coordinator", acting=alice.user
        )

    results = run_together(organisation, invite, invite)
    assert refused(results) == [ValidationError]
    assert [error.code for error in results if isinstance(error, ValidationError)] == ["pending"]
    assert Invitation.objects.count() == 1
    assert OutgoingMessage.objects.filter(kind=Kind.INVITATION).count() == 1
    assert len(mailoutbox) == 1


# -- Invitations -------------------------------------------------------------------------------


@pytest.fixture
def organisation_with_owner(db):
    organisation = OrganisationFactory(slug="our-org", name="Press Freedom Now")
    owner = MembershipFactory(user__username="olga", organisation=organisation, role=OWNER)
    return organisation, owner.user


def invite(organisation, owner, email="new@example.org", role="coordinator"):
    return services.invite(organisation, email=email, role=role, acting=owner)


def test_an_invitation_is_queued_in_the_outbox_with_its_references(organisation_with_owner):
    organisation, owner = organisation_with_owner
    invitation = invite(organisation, owner)
    (message,) = OutgoingMessage.objects.all()
    assert message.kind == "invitation"
    assert message.kind_label == "Invitation to join an organisation"
    assert message.idempotency_key == f"invitation:{invitation.pk}"
    assert message.group == f"campaigns.organisation:{organisation.pk}"
    assert message.about == f"campaigns.invitation:{invitation.pk}"
    assert message.to_email == "new@example.org"
    assert message.subject == "Join Press Freedom Now on IDEI"
    assert "/accounts/invitations/" in message.body_text and message.body_html


def test_queuing_an_invitations_mail_again_returns_the_same_row(organisation_with_owner):
    organisation, owner = organisation_with_owner
    invitation = invite(organisation, owner)
    again = services.queue_invitation_mail(invitation, "another-token")
    assert OutgoingMessage.objects.get().pk == again.pk
    assert "another-token" not in again.body_text


def test_nothing_is_queued_when_the_invitation_is_rolled_back(organisation_with_owner):
    organisation, owner = organisation_with_owner
    with pytest.raises(RuntimeError), transaction.atomic():
        invite(organisation, owner)
        raise RuntimeError
    assert not Invitation.objects.exists()
    assert not OutgoingMessage.objects.exists()


def test_the_mail_is_sent_only_after_commit(organisation_with_owner, mailoutbox):
    organisation, owner = organisation_with_owner
    with TestCase.captureOnCommitCallbacks(execute=True):
        invite(organisation, owner)
        assert mailoutbox == []
    (sent,) = mailoutbox
    assert sent.to == ["new@example.org"]
    assert OutgoingMessage.objects.get().status == OutgoingMessage.Status.SENT


def test_a_withdrawn_invitations_unsent_mail_is_not_sent(organisation_with_owner):
    organisation, owner = organisation_with_owner
    invitation = invite(organisation, owner)  # its send task would start after commit
    services.withdraw_invitation(invitation, acting=owner)
    assert not Invitation.objects.exists()
    assert not OutgoingMessage.objects.exists()


def test_an_accepted_invitation_cannot_be_withdrawn(organisation_with_owner):
    organisation, owner = organisation_with_owner
    invitation = invite(organisation, owner)
    services.accept_invitation(invitation, UserFactory())
    with pytest.raises(Invitation.DoesNotExist):
        services.withdraw_invitation(invitation, acting=owner)
    assert Invitation.objects.get().accepted_at is not None


def test_a_used_invitation_creates_no_account(organisation_with_owner, django_user_model):
    organisation, owner = organisation_with_owner
    invitation = invite(organisation, owner)
    services.accept_invitation(invitation, UserFactory(username="first"))
    late = django_user_model(username="late", email="new@example.org")
    with pytest.raises(services.InvitationUnusable):
        services.accept_invitation(invitation, late)
    assert not django_user_model.objects.filter(username="late").exists()


def test_an_expired_invitation_cannot_be_accepted(organisation_with_owner):
    organisation, owner = organisation_with_owner
    invitation = invite(organisation, owner)
    Invitation.objects.update(expires_at=timezone.now())
    with pytest.raises(services.InvitationUnusable):
        services.accept_invitation(invitation, UserFactory())
    assert list(Membership.objects.values_list("user__username", flat=True)) == ["olga"]


def test_an_organisation_that_is_gone_cannot_be_locked(organisation_with_owner):
    organisation, _owner = organisation_with_owner
    pk = organisation.pk
    Organisation.objects.filter(pk=pk).delete()
    with pytest.raises(Organisation.DoesNotExist), transaction.atomic():
        services.lock_memberships(pk)
