"""Invitations and memberships: who joins an organisation, with which role, and who leaves.

Each workflow runs in one transaction that first locks the organisation's row and then its
memberships in primary-key order (one order everywhere, so two workflows never wait on each
other in a circle), and checks under those locks what the view read before them. Two owners
demoting or removing each other at once are served one after the other and the second sees the
first's change, so an organisation is never left without an owner.

Invitation e-mails go through the outbox (idei.outbox), queued in the transaction that writes
the invitation: no invitation without its e-mail, no e-mail for an invitation rolled back.
"""

import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from idei.mail import absolute_url, render_email
from idei.outbox.models import OutgoingMessage, ref
from idei.outbox.services import enqueue
from idei.tokens import new_token

from .models import Campaign, Invitation, LetterTemplate, Membership, Organisation, Partnership

INVITATION_LIFETIME = timedelta(days=7)

Role = Membership.Role


class MessageKind(models.TextChoices):
    """The kinds of e-mail the campaigns app puts in the outbox (registered in apps.py)."""

    INVITATION = "invitation", _("Invitation to join an organisation")


class LastOwner(Exception):
    """The change would leave the organisation without an owner."""

    def __init__(self, membership: Membership):
        super().__init__(f"membership {membership.pk} is the organisation's only owner")
        self.membership = membership


class NotAnOwner(Exception):
    """The acting user is not (or no longer) an owner of the organisation."""


class InvitationUnusable(Exception):
    """The invitation was used, withdrawn or expired before this request could claim it."""


# -- Locks -------------------------------------------------------------------------------------


def lock_organisation(organisation_id: int) -> None:
    """Serialise the member and invitation workflows of one organisation.

    FOR NO KEY UPDATE: it excludes the other workflows (they take the same lock) but not the
    inserts that merely reference the organisation (a new campaign, an official).
    """
    locked = Organisation.objects.select_for_update(no_key=True).filter(pk=organisation_id)
    if not locked.values_list("pk", flat=True):
        raise Organisation.DoesNotExist


def lock_memberships(organisation_id: int, *, acting=None) -> list[Membership]:
    """Lock the organisation, then its memberships in primary-key order; return them.

    With `acting`, also check that this user is still an owner (or a superuser): the view
    authorised them before the lock, and another owner may have demoted them since.
    """
    lock_organisation(organisation_id)
    memberships = list(
        Membership.objects.select_for_update(of=("self",))
        .filter(organisation_id=organisation_id)
        .select_related("user")
        .order_by("pk")
    )
    if not (acting is None or acting.is_superuser or _is_owner(memberships, acting)):
        raise NotAnOwner
    return memberships


def _is_owner(memberships: list[Membership], user) -> bool:
    return any(m.user_id == user.pk and m.role == Role.OWNER for m in memberships)


def _find(memberships: list[Membership], pk: int) -> Membership:
    for membership in memberships:
        if membership.pk == pk:
            return membership
    raise Membership.DoesNotExist


def _only_owner(memberships: list[Membership], membership: Membership) -> bool:
    return membership.role == Role.OWNER and not any(
        m.role == Role.OWNER and m.pk != membership.pk for m in memberships
    )


# -- Members -----------------------------------------------------------------------------------


def is_last_owner(membership: Membership) -> bool:
    """Whether this membership is its organisation's only owner (a read, for a page to say so)."""
    return (
        membership.role == Role.OWNER
        and not Membership.objects.filter(organisation_id=membership.organisation_id)
        .filter(role=Role.OWNER)
        .exclude(pk=membership.pk)
        .exists()
    )


@transaction.atomic
def change_role(membership: Membership, role: str, *, acting) -> tuple[Membership, bool]:
    """Give a member another role; returns the membership and whether anything changed.

    Raises LastOwner if it would demote the only owner, NotAnOwner if `acting` may not, and
    Membership.DoesNotExist if the member left meanwhile.
    """
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    memberships = lock_memberships(membership.organisation_id, acting=acting)
    current = _find(memberships, membership.pk)
    if role != Role.OWNER and _only_owner(memberships, current):
        raise LastOwner(current)
    if current.role == role:
        return current, False
    current.role = role
    current.save(update_fields=["role"])
    return current, True


@transaction.atomic
def remove_member(membership: Membership, *, acting) -> Membership:
    """Remove a member (an owner may remove themself); returns the removed membership.

    Raises LastOwner for the only owner, NotAnOwner if `acting` may not, and
    Membership.DoesNotExist if the member already left.
    """
    memberships = lock_memberships(membership.organisation_id, acting=acting)
    current = _find(memberships, membership.pk)
    if _only_owner(memberships, current):
        raise LastOwner(current)
    current.delete()
    return current


# -- Invitations -------------------------------------------------------------------------------


def check_invitable(organisation: Organisation, email: str) -> None:
    """Raise ValidationError if this address is already a member or has an invitation waiting."""
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise ValidationError(
            _("Someone with this e-mail address is already a member."), code="member"
        )
    check_none_waiting(
        Invitation.objects.filter(organisation=organisation, campaign__isnull=True), email
    )


def check_none_waiting(invitations, email: str) -> None:
    """Raise ValidationError if one of `invitations` to this address is still waiting."""
    waiting = invitations.filter(
        email__iexact=email, accepted_at__isnull=True, expires_at__gt=timezone.now()
    )
    if waiting.exists():
        raise ValidationError(
            _(
                "An invitation to this address is still waiting to be accepted. Withdraw it "
                "below if you want to send a new one."
            ),
            code="pending",
        )


@transaction.atomic
def invite(
    organisation: Organisation,
    *,
    email: str,
    role: str,
    acting,
    base_url: str | None = None,
    language: str | None = None,
) -> Invitation:
    """Invite `email` to join with `role`, and queue the e-mail with the link.

    `email` comes normalised from InvitationForm. Raises ValidationError if the address is a
    member or already invited (checked again under the lock: two submits at once make one
    invitation), NotAnOwner if `acting` may not. See queue_invitation_mail for the other
    arguments.
    """
    lock_memberships(organisation.pk, acting=acting)
    check_invitable(organisation, email)
    return _create_invitation(
        Invitation(organisation=organisation, email=email, role=role, invited_by=acting),
        base_url=base_url,
        language=language,
    )


def _create_invitation(
    invitation: Invitation, *, base_url: str | None, language: str | None
) -> Invitation:
    """Save a new invitation with its token and expiry, and queue its e-mail.

    The caller holds the organisation's locks and has checked that the address may be invited.
    """
    token, invitation.token_hash = new_token()
    invitation.expires_at = timezone.now() + INVITATION_LIFETIME
    invitation.save(force_insert=True)
    queue_invitation_mail(invitation, token, base_url=base_url, language=language)
    return invitation


def queue_invitation_mail(
    invitation: Invitation,
    token: str,
    *,
    base_url: str | None = None,
    language: str | None = None,
) -> OutgoingMessage:
    """Queue the e-mail that lets `invitation.email` join the organisation with the invited role.

    The token is passed in because only its hash is stored; this is the one moment it exists.
    The link starts with `base_url` (the request's, "https://host/") when given, else SITE_URL.
    The recipient's language is unknown, so the e-mail is in `language`, by default the one the
    owner is using. One message per invitation: queuing it again returns the same row.
    """
    path = reverse("accept_invitation", args=[token])
    context = {
        "invitation": invitation,
        "campaign": invitation.campaign,
        "organisation": invitation.organisation,
        "role": invitation.get_role_display(),
        "inviter": invitation.invited_by,
        "accept_url": base_url.rstrip("/") + path if base_url else absolute_url(path),
        "expires_at": invitation.expires_at,
    }
    name = "partner_invitation" if invitation.campaign_id else "invitation"
    email = render_email(name, context, language=language or translation.get_language())
    return enqueue(
        kind=MessageKind.INVITATION,
        key=f"invitation:{invitation.pk}",
        to=invitation.email,
        subject=email.subject,
        body_text=email.text,
        body_html=email.html,
        group=ref(invitation.organisation),
        about=ref(invitation),
    )


@transaction.atomic
def withdraw_invitation(invitation: Invitation, *, acting) -> Invitation:
    """Withdraw an invitation not yet accepted; its link stops working.

    Raises Invitation.DoesNotExist if it was accepted or withdrawn meanwhile, NotAnOwner if
    `acting` may not.
    """
    lock_memberships(invitation.organisation_id, acting=acting)
    about = ref(invitation)
    deleted, _by_model = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True
    ).delete()
    if not deleted:
        raise Invitation.DoesNotExist
    # An e-mail still waiting in the outbox is not sent: its link would only say "not valid".
    OutgoingMessage.objects.filter(
        kind=MessageKind.INVITATION, about=about, status=OutgoingMessage.Status.QUEUED
    ).delete()
    return invitation


@transaction.atomic
def accept_invitation(invitation: Invitation, user) -> tuple[Membership, bool]:
    """Join the invitation's organisation as `user`; returns the membership and whether it is new.

    `user` may be a new account not saved yet (NewAccountForm.save(commit=False), its password
    already hashed): it is saved only once the invitation is claimed, so a used link creates
    no account. A link works once: exactly one request can claim it, others get
    InvitationUnusable. Someone already a member keeps their role.
    """
    lock_organisation(invitation.organisation_id)
    _claim(invitation, user)
    return Membership.objects.get_or_create(
        user=user, organisation_id=invitation.organisation_id, defaults={"role": invitation.role}
    )


def _claim(invitation: Invitation, user) -> None:
    """Mark the invitation used, or raise InvitationUnusable; then save `user` if new.

    A conditional UPDATE: of two requests with the same link, exactly one claims it.
    """
    now = timezone.now()
    claimed = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, expires_at__gt=now
    ).update(accepted_at=now)
    if claimed != 1:
        raise InvitationUnusable
    if user.pk is None:
        user.save()


# -- Running a campaign again ------------------------------------------------------------------


def run_again_slug(campaign) -> str:
    """The old slug with this year's number, made unique: `justice-for-x-2027`."""
    year = timezone.localdate().year
    base = slugify(f"{campaign.slug.removesuffix(f'-{year - 1}')}-{year}")[:90] or "campaign"
    return unused_slug(Campaign, base)


def unused_slug(model, base: str) -> str:
    """`base`, or `base-2`, `base-3`...: the first slug no row of `model` has yet."""
    slug, number = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    return slug


def run_again(campaign, user=None):
    """A draft copy of a campaign: same cases, officials and letters, linked to the old one.

    Its count starts at zero; the coordinator edits the letters, then publishes it as usual.
    Nothing about the old campaign changes.
    """
    with transaction.atomic():
        copy = Campaign.objects.create(
            organisation=campaign.organisation,
            title=campaign.title,
            slug=run_again_slug(campaign),
            summary=campaign.summary,
            body=campaign.body,
            image_credit=campaign.image_credit,
            image=campaign.image.name if campaign.image else "",
            goal=campaign.goal,
            signers_may_edit=campaign.signers_may_edit,
            thank_you_text=campaign.thank_you_text,
            share_text=campaign.share_text,
            delivery_mode=campaign.delivery_mode,
            created_by=user,
            previous=campaign,
        )
        copy.cases.set(campaign.cases.all())
        copy.targets.set(campaign.targets.all())
        LetterTemplate.objects.bulk_create(
            LetterTemplate(campaign=copy, language=t.language, subject=t.subject, body=t.body)
            for t in campaign.letter_templates.all()
        )
    return copy


# -- Partner organisations ---------------------------------------------------------------------
#
# A partner is invited with the members' invitation (an Invitation whose `campaign` is set):
# the same token, e-mail through the outbox, expiry, withdrawal and single use. Accepting
# makes the accepting person's organisation (one they own, or a new one) a partner.


def check_partner_invitable(campaign: Campaign, email: str) -> None:
    """Raise ValidationError if a partner invitation to this address is already waiting."""
    check_none_waiting(Invitation.objects.filter(campaign=campaign), email)


@transaction.atomic
def invite_partner(
    campaign: Campaign,
    *,
    email: str,
    acting,
    base_url: str | None = None,
    language: str | None = None,
) -> Invitation:
    """Invite `email` to carry `campaign` as a partner organisation; queue the e-mail.

    Only an owner of the campaign's (lead) organisation may: NotAnOwner otherwise.
    """
    lock_memberships(campaign.organisation_id, acting=acting)
    check_partner_invitable(campaign, email)
    partner = Invitation(
        organisation=campaign.organisation,
        campaign=campaign,
        email=email,
        role=Role.OWNER,
        invited_by=acting,
    )
    return _create_invitation(partner, base_url=base_url, language=language)


class NotAPartnerCandidate(Exception):
    """The organisation chosen cannot become a partner (the lead, or not the user's to commit)."""


def new_source_code() -> str:
    """A partner's source code: short, unguessable, URL-safe and lower case."""
    return secrets.token_hex(5)


@transaction.atomic
def accept_partner_invitation(
    invitation: Invitation, user, *, organisation: Organisation | None = None, new_name: str = ""
) -> tuple[Partnership, bool]:
    """Make `organisation` (owned by `user`), or a new one named `new_name` that `user` will
    own, a partner of the invitation's campaign; returns the partnership and whether it is new.

    Like accept_invitation: `user` may be an unsaved new account, saved only once the link is
    claimed; a link works once (InvitationUnusable).
    """
    lock_organisation(invitation.organisation_id)
    if organisation is not None and (
        organisation.pk == invitation.organisation_id
        or not (
            user.pk
            and (
                user.is_superuser
                or Membership.objects.filter(
                    user=user, organisation=organisation, role=Role.OWNER
                ).exists()
            )
        )
    ):
        raise NotAPartnerCandidate
    _claim(invitation, user)
    if organisation is None:
        organisation = Organisation.objects.create(name=new_name, slug=free_slug(new_name))
        Membership.objects.create(user=user, organisation=organisation, role=Role.OWNER)
    return Partnership.objects.get_or_create(
        campaign_id=invitation.campaign_id,
        organisation=organisation,
        defaults={
            "source_code": new_source_code(),
            "invited_by": invitation.invited_by,
            "accepted_by": user,
        },
    )


def free_slug(name: str) -> str:
    """A slug for a new organisation named `name`."""
    return unused_slug(Organisation, slugify(name)[:90].strip("-") or "organisation")


@transaction.atomic
def remove_partner(partnership: Partnership, *, acting) -> None:
    """End a partnership (an owner of the lead): its code stops crediting the partner."""
    lock_memberships(partnership.campaign.organisation_id, acting=acting)
    Partnership.objects.filter(pk=partnership.pk).delete()
