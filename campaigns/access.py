"""Who may see and change what on the coordinator side. Other organisations' objects are 404.

Every dashboard view goes through these helpers: tenant scoping in one place, from day one.
"""

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import Campaign, Membership, Organisation, Partnership, Target

CAN_EDIT = {Membership.Role.OWNER, Membership.Role.COORDINATOR}


def organisations_for(user):
    """Organisations the user belongs to (all of them for a superuser)."""
    if user.is_superuser:
        return Organisation.objects.all()
    return Organisation.objects.filter(memberships__user=user).distinct()


def role_in(user, organisation) -> str | None:
    if user.is_superuser:
        return Membership.Role.OWNER
    membership = Membership.objects.filter(user=user, organisation=organisation).first()
    return membership.role if membership else None


def organisation_for_member(request, slug, *, edit=False, owner=False) -> Organisation:
    organisation = get_object_or_404(organisations_for(request.user), slug=slug)
    role = role_in(request.user, organisation)
    if (owner and role != Membership.Role.OWNER) or (edit and role not in CAN_EDIT):
        raise Http404
    return organisation


def campaigns_for(user):
    return Campaign.objects.filter(organisation__in=organisations_for(user))


def campaign_for_coordinator(request, slug, *, edit=False) -> Campaign:
    """The campaign if the user's organisation owns it (and they may edit, if asked), else 404."""
    campaign = get_object_or_404(
        campaigns_for(request.user).select_related("organisation"), slug=slug
    )
    if edit and role_in(request.user, campaign.organisation) not in CAN_EDIT:
        raise Http404
    return campaign


def targets_for(user):
    """Targets a coordinator may use: shared ones and those their organisations created."""
    if user.is_superuser:
        return Target.objects.all()

    return Target.objects.filter(
        Q(is_shared=True) | Q(created_by_organisation__in=organisations_for(user))
    )


def target_for_coordinator(request, pk, *, edit=False) -> Target:
    """Targets are changed only by the organisation that created them (or an admin)."""
    target = get_object_or_404(targets_for(request.user), pk=pk)
    if edit and not request.user.is_superuser:
        organisation = target.created_by_organisation
        if organisation is None or role_in(request.user, organisation) not in CAN_EDIT:
            raise Http404
    return target


def partnerships_for(user):
    """The campaigns the user's organisations carry as partners (all for a superuser)."""
    return Partnership.objects.filter(organisation__in=organisations_for(user))


def partnership_for_member(request, slug, organisation_slug, *, edit=False) -> Partnership:
    """A partner organisation's view of a campaign: for its own members (and admins), else 404.

    The lead organisation's members get 404 here too: they see every signature on the
    campaign's own pages, and a partner's page shows one partner's share only.
    """
    partnership = get_object_or_404(
        partnerships_for(request.user).select_related(
            "campaign", "campaign__organisation", "organisation"
        ),
        campaign__slug=slug,
        organisation__slug=organisation_slug,
    )
    if edit and role_in(request.user, partnership.organisation) not in CAN_EDIT:
        raise Http404
    return partnership
