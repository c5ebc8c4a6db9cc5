"""The coordinator dashboard: organisations, members and invitations, officials and campaigns.

Every view finds its objects through campaigns.access, so another organisation's campaign,
official or membership answers 404. Viewers read everything; every URL that changes something
also answers 404 to them (the access helpers' `edit=True`), so there is one answer for "not
yours to change" whether the object belongs to another organisation or the role is too low.
"""

from functools import partial
from types import SimpleNamespace
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_countries.fields import Country

from cases.models import Case
from idei.tokens import token_hash

from . import services
from .access import (
    CAN_EDIT,
    campaign_for_coordinator,
    organisation_for_member,
    organisations_for,
    partnerships_for,
    role_in,
    target_for_coordinator,
    targets_for,
)
from .forms import (
    EDITABLE_WHEN,
    CampaignForm,
    CampaignTextForm,
    CaseChoiceForm,
    CaseSearchForm,
    InvitationForm,
    LetterForm,
    MemberRoleForm,
    NewAccountForm,
    OrganisationForm,
    PartnerAcceptForm,
    PartnerInvitationForm,
    TargetChoiceForm,
    TargetForm,
    TargetSearchForm,
    placeholder_help,
)
from .letter_templates import Signer, compose_letter, status_contradictions
from .models import (
    Campaign,
    CampaignTranslation,
    Invitation,
    LetterTemplate,
    Membership,
    Organisation,
    Target,
)

PAGE_SIZE = 50
SEARCH_RESULTS = 50


def editable_organisations(user):
    """Organisations in which the user may create and change campaigns and officials."""
    organisations = organisations_for(user)
    if user.is_superuser:
        return organisations
    return organisations.filter(memberships__user=user, memberships__role__in=CAN_EDIT)


def can_edit(user, organisation) -> bool:
    return role_in(user, organisation) in CAN_EDIT


def safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


# -- Home --------------------------------------------------------------------------------------


@login_required
@require_GET
def home(request):
    """The user's organisations and their campaigns, with the numbers that matter on top."""
    user = request.user
    if user.is_superuser:
        organisations = [(o, Membership.Role.OWNER) for o in Organisation.objects.all()]
    else:
        organisations = [
            (m.organisation, m.role)
            for m in Membership.objects.filter(user=user).select_related("organisation")
        ]
    editable_ids = {o.pk for o, role in organisations if role in CAN_EDIT}
    campaigns = Campaign.objects.filter(
        organisation__in=[o.pk for o, _role in organisations]
    ).select_related("organisation")
    totals = campaigns.aggregate(
        signatures=Sum("signature_count", default=0),
        open=Count("pk", filter=Q(status=Campaign.Status.PUBLISHED)),
        drafts=Count("pk", filter=Q(status=Campaign.Status.DRAFT)),
    )
    page = Paginator(campaigns.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for campaign in page:
        campaign.can_edit = campaign.organisation_id in editable_ids
    return render(
        request,
        "campaigns/dashboard/home.html",
        {
            "organisations": organisations,
            "page": page,
            "totals": totals,
            "can_create": bool(editable_ids),
            "partnerships": partnerships_for(user)
            .exclude(campaign__status=Campaign.Status.DRAFT)
            .select_related("campaign", "campaign__organisation", "organisation")
            .order_by("campaign__title")[:PAGE_SIZE],
        },
    )


# -- Campaigns ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request):
    organisations = editable_organisations(request.user)
    if not organisations.exists():
        raise Http404
    form = CampaignForm(
        request.POST or None,
        request.FILES or None,
        organisations=organisations,
        initial={"organisation": request.GET.get("organisation")},
    )
    texts = text_forms(form.instance, request.POST or None)
    if request.method == "POST" and forms_valid(form, texts):
        with transaction.atomic():
            campaign = form.save(commit=False)
            campaign.created_by = request.user
            campaign.status = Campaign.Status.DRAFT
            campaign.save()
            save_text_forms(texts)
        messages.success(
            request,
            _("The draft is saved. Next: link its cases, choose the officials, write the letter."),
        )
        return redirect("dashboard:campaign", campaign.slug)
    return render(
        request,
        "campaigns/dashboard/campaign_form.html",
        {"form": form, "text_forms": texts, "text_errors": with_errors(texts)},
    )


def text_forms(campaign, data=None) -> list[CampaignTextForm]:
    """The title, summary and story in each language but the main one (campaign.language)."""
    existing = {t.language: t for t in campaign.translations.all()} if campaign.pk else {}
    return [
        CampaignTextForm(
            data,
            prefix=f"text-{code}",
            instance=existing.get(code) or CampaignTranslation(campaign=campaign, language=code),
            language_name=str(name),
        )
        for code, name in settings.LANGUAGES
        if code != campaign.language or code in existing
    ]


def with_errors(texts) -> list[CampaignTextForm]:
    return [text for text in texts if text.is_bound and text.submitted and text.errors]


def forms_valid(form, texts) -> bool:
    """The campaign's form first (its language may change), then each language's texts."""
    valid = form.is_valid()
    # Every form, so that all show their errors; a language left out of the POST is kept.
    return all([valid, *(text.is_valid() for text in texts if text.submitted)])


def save_text_forms(texts) -> bool:
    """Save the languages written, delete those emptied; whether anything changed."""
    changed = False
    for text in texts:
        if not text.submitted:
            continue
        if text.is_empty:
            if text.instance.pk:
                text.instance.delete()
                changed = True
        elif text.has_changed() or not text.instance.pk:
            text.save()
            changed = True
    return changed


def campaign_page_context(campaign):
    return {
        "campaign": campaign,
        "cases": list(campaign.cases.all()),
        "targets": list(campaign.targets.all()),
        "letters": list(campaign.letter_templates.all()),
    }


@login_required
@require_GET
def campaign_detail(request, slug):
    campaign = campaign_for_coordinator(request, slug)
    context = campaign_page_context(campaign)
    context.update(
        can_edit=can_edit(request.user, campaign.organisation),
        history=campaign.history.select_related("changed_by"),
        problems=(campaign.publish_problems() if campaign.status == Campaign.Status.DRAFT else []),
        contradictions=status_contradictions(context["letters"], campaign.letter_cases()),
        editable_fields=EDITABLE_WHEN.get(campaign.status),
        domain_hourly_limit=settings.OUTBOX_DOMAIN_HOURLY_LIMIT,
    )
    return render(request, "campaigns/dashboard/campaign_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request, slug):
    campaign = campaign_for_coordinator(request, slug, edit=True)
    form = CampaignForm(request.POST or None, request.FILES or None, instance=campaign)
    texts = text_forms(campaign, request.POST or None)
    if request.method == "POST" and forms_valid(form, texts):
        with transaction.atomic():
            changed = form.has_changed()
            if changed:
                form.save()
            changed = save_text_forms(texts) or changed
        if changed:
            messages.success(request, _("Your changes are saved."))
        else:
            messages.info(request, _("Nothing changed."))
        return redirect("dashboard:campaign", campaign.slug)
    return render(
        request,
        "campaigns/dashboard/campaign_form.html",
        {
            "form": form,
            "campaign": campaign,
            "text_forms": texts,
            "text_errors": with_errors(texts),
        },
    )


def draft_only(request, campaign) -> bool:
    """Cases, officials and letters are what people sign: they change only on a draft."""
    if campaign.status == Campaign.Status.DRAFT:
        return True
    messages.error(
        request,
        _("This campaign is published: its cases, officials and letter can no longer change."),
    )
    return False


@login_required
@require_http_methods(["GET", "POST"])
def campaign_cases(request, slug):
    """Link published cases: a search lists candidates, the POST saves the ticked set.

    The search is a button of the same form: searching again keeps what is ticked (shown at
    the top, not saved until "Save"), so choices made across several searches add up.
    """
    campaign = campaign_for_coordinator(request, slug, edit=True)
    searching = request.method == "POST" and "search" in request.POST
    search = CaseSearchForm(request.POST if searching else (request.GET or None))
    form = CaseChoiceForm(request.POST or None)
    linked = list(campaign.cases.all())
    if searching and form.is_valid():
        linked = list(form.cleaned_data["cases"])
    results = []
    if search.is_valid() and (search.cleaned_data["q"] or search.cleaned_data["country"]):
        found = Case.objects.published().exclude(pk__in=[c.pk for c in linked])
        if search.cleaned_data["q"]:
            query = search.cleaned_data["q"]
            found = found.filter(Q(full_name__icontains=query) | Q(place__icontains=query))
        if search.cleaned_data["country"]:
            found = found.in_country(search.cleaned_data["country"])
        results = list(found[:SEARCH_RESULTS])
    if request.method == "POST" and not searching:
        if not draft_only(request, campaign):
            return redirect("dashboard:campaign", slug)
        if form.is_valid():
            campaign.cases.set(form.cleaned_data["cases"])
            messages.success(request, _("The linked cases are saved."))
            return redirect(safe_next(request, reverse("dashboard:campaign", args=[slug])))
    data = search.data if search.is_bound else {}
    return render(
        request,
        "campaigns/dashboard/campaign_cases.html",
        {
            "campaign": campaign,
            "search": search,
            "linked": linked,
            "unsaved": searching,
            "results": results,
            "searched": bool(data.get("q") or data.get("country")),
            "form": form if not searching else CaseChoiceForm(),
            "result_limit": SEARCH_RESULTS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_targets(request, slug):
    """Choose the officials from the shared ones and the organisation's own.

    As for cases, searching again keeps what is ticked; an official just added from this page
    (`?added=<id>`) comes back ticked, to be saved with the others.
    """
    campaign = campaign_for_coordinator(request, slug, edit=True)
    available = targets_for(request.user)
    searching = request.method == "POST" and "search" in request.POST
    query_data = request.POST if searching else request.GET
    search = TargetSearchForm(query_data if (searching or request.GET) else None)
    # Officials already linked stay choosable even if their organisation stopped sharing them.
    choosable = Target.objects.filter(Q(pk__in=available) | Q(campaigns=campaign)).distinct()
    form = TargetChoiceForm(request.POST or None, targets=choosable)
    linked = list(campaign.targets.all())
    if searching and form.is_valid():
        linked = list(form.cleaned_data["targets"])
    added = request.GET.get("added", "")
    if added.isdigit() and len(added) < 12:
        linked += [
            target
            for target in choosable.filter(pk=int(added))
            if target.pk not in {t.pk for t in linked}
        ]
    found = search.filter(available.exclude(pk__in=[t.pk for t in linked]))
    has_query = bool(query_data.get("q") or query_data.get("country"))
    results_heading = _("Search results") if has_query else _("Officials you can address")
    if not has_query:
        # Before any search, suggest the officials of the cases' countries.
        countries = {case.country.code for case in campaign.cases.all()}
        if countries:
            found = found.filter(country__in=countries)
            results_heading = _("Officials in the cases' countries")
    results = list(found[:SEARCH_RESULTS])
    if request.method == "POST" and not searching:
        if not draft_only(request, campaign):
            return redirect("dashboard:campaign", slug)
        if form.is_valid():
            campaign.targets.set(form.cleaned_data["targets"])
            messages.success(request, _("The officials are saved."))
            return redirect(safe_next(request, reverse("dashboard:campaign", args=[slug])))
    saved = {target.pk for target in campaign.targets.all()}
    return render(
        request,
        "campaigns/dashboard/campaign_targets.html",
        {
            "campaign": campaign,
            "search": search,
            "linked": linked,
            "unsaved": any(target.pk not in saved for target in linked) or searching,
            "results": results,
            "results_heading": results_heading,
            "form": form if not searching else TargetChoiceForm(targets=choosable),
            "result_limit": SEARCH_RESULTS,
            "add_url": reverse("dashboard:campaign_targets", args=[slug]),
        },
    )


def letter_forms(campaign, data=None):
    existing = {letter.language: letter for letter in campaign.letter_templates.all()}
    locked = campaign.status != Campaign.Status.DRAFT
    return [
        LetterForm(
            data,
            prefix=f"letter-{code}",
            instance=existing.get(code) or LetterTemplate(campaign=campaign, language=code),
            language_name=str(name),
            locked=locked,
        )
        for code, name in settings.LANGUAGES
    ]


@login_required
@require_http_methods(["GET", "POST"])
def campaign_letters(request, slug):
    """The letter's subject and text in each language; empty both to have none in a language."""
    campaign = campaign_for_coordinator(request, slug, edit=True)
    forms = letter_forms(campaign, request.POST or None)
    if request.method == "POST":
        if not draft_only(request, campaign):
            return redirect("dashboard:campaign", slug)
        valid = [form.is_valid() for form in forms]  # every form, so that all show their errors
        if all(valid):
            with transaction.atomic():
                for form in forms:
                    if form.is_empty:
                        if form.instance.pk:
                            form.instance.delete()
                    elif form.has_changed() or not form.instance.pk:
                        form.save()
            messages.success(request, _("The letter is saved."))
            return redirect("dashboard:campaign", slug)
    errors = [form for form in forms if form.is_bound and form.errors]
    return render(
        request,
        "campaigns/dashboard/campaign_letters.html",
        {
            "campaign": campaign,
            "forms": forms,
            "forms_with_errors": errors,
            "placeholders": placeholder_help(),
        },
    )


def sample_signer():
    return SimpleNamespace(name=_("Alex Example"), city=_("Lyon"), country=Country("FR"))


@login_required
@require_GET
def campaign_preview(request, slug):
    """Each letter as each official would receive it, signed by a sample signer."""
    campaign = campaign_for_coordinator(request, slug)
    context = campaign_page_context(campaign)
    templates = {letter.language: letter for letter in context["letters"]}
    cases = list(campaign.letter_cases())
    sample = sample_signer()
    # The same function that writes the letters sent (letter_templates.compose_letter).
    signer = Signer(
        name=str(sample.name),
        city=str(sample.city),
        country=sample.country.code,
        shares_name=True,
    )
    previews = []
    for letter in context["letters"]:
        rendered = []
        for target in context["targets"]:
            composed = compose_letter(templates, target, cases, signer, language=letter.language)
            if composed is None:
                continue
            rendered.append(
                {
                    "target": target,
                    "subject": composed.subject,
                    "body": composed.body,
                    "preferred": target.language == letter.language,
                }
            )
        previews.append({"letter": letter, "rendered": rendered})
    context.update(previews=previews, signer=sample_signer())
    return render(request, "campaigns/dashboard/campaign_preview.html", context)


TRANSITIONS = {
    "publish": SimpleNamespace(
        method="publish",
        from_status=Campaign.Status.DRAFT,
        title=gettext_lazy("Publish “%(title)s”"),
        button=gettext_lazy("Publish the campaign"),
        done=gettext_lazy("The campaign is published: anyone can now read and sign it."),
        wrong_status=gettext_lazy("Only a draft can be published; nothing changed."),
    ),
    "close": SimpleNamespace(
        method="close",
        from_status=Campaign.Status.PUBLISHED,
        title=gettext_lazy("Close “%(title)s”"),
        button=gettext_lazy("Close the campaign"),
        done=gettext_lazy("The campaign is closed: signing has stopped."),
        wrong_status=gettext_lazy("Only a published campaign can be closed; nothing changed."),
    ),
    "deliver": SimpleNamespace(
        method="mark_delivered",
        from_status=Campaign.Status.CLOSED,
        title=gettext_lazy("Mark “%(title)s” as delivered"),
        button=gettext_lazy("Mark as delivered"),
        done=gettext_lazy("The campaign is marked as delivered."),
        wrong_status=gettext_lazy(
            "Only a closed campaign can be marked delivered; nothing changed."
        ),
    ),
}


@login_required
@require_http_methods(["GET", "POST"])
def campaign_transition(request, slug, action):
    """GET: what will happen, and what stops it. POST: do it, once."""
    spec = TRANSITIONS[action]
    campaign = campaign_for_coordinator(request, slug, edit=True)
    allowed = campaign.status == spec.from_status
    problems = campaign.publish_problems() if action == "publish" and allowed else []
    if request.method == "POST":
        if not allowed:
            messages.info(request, spec.wrong_status)
            return redirect("dashboard:campaign", slug)
        if not problems:
            try:
                getattr(campaign, spec.method)(user=request.user)
            except ValidationError as error:
                problems = error.messages
            except ValueError:  # another request moved it between our read and our update
                messages.info(request, spec.wrong_status)
                return redirect("dashboard:campaign", slug)
            else:
                messages.success(request, spec.done)
                return redirect("dashboard:campaign", slug)
    return render(
        request,
        f"campaigns/dashboard/confirm_{action}.html",
        {
            "campaign": campaign,
            "action": action,
            "allowed": allowed,
            "problems": problems,
            "title": spec.title % {"title": campaign.title},
            "button": spec.button,
            "public_url": request.build_absolute_uri(campaign.get_absolute_url()),
            "preview_url": reverse("dashboard:campaign_preview", args=[slug]),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def campaign_run_again(request, slug):
    """GET: what running the campaign again makes. POST: make the draft copy, once a click."""
    campaign = campaign_for_coordinator(request, slug, edit=True)
    allowed = campaign.status != Campaign.Status.DRAFT
    if request.method == "POST" and allowed:
        copy = services.run_again(campaign, user=request.user)
        messages.success(
            request,
            _("A new draft runs this campaign again. Edit its letter, then publish it."),
        )
        return redirect("dashboard:campaign", copy.slug)
    return render(
        request,
        "campaigns/dashboard/confirm_run_again.html",
        {
            "campaign": campaign,
            "action": "run_again",
            "allowed": allowed,
            "problems": [],
            "title": _("Run “%(title)s” again") % {"title": campaign.title},
            "button": _("Make the new campaign"),
        },
    )


# -- Targets -----------------------------------------------------------------------------------


@login_required
@require_GET
def target_list(request):
    search = TargetSearchForm(request.GET or None)
    targets = search.filter(targets_for(request.user).select_related("created_by_organisation"))
    page = Paginator(targets.order_by("country", "name", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    editable_ids = set(editable_organisations(request.user).values_list("pk", flat=True))
    for target in page:
        target.can_edit = request.user.is_superuser or (
            target.created_by_organisation_id in editable_ids
        )
    return render(
        request,
        "campaigns/dashboard/target_list.html",
        {"search": search, "page": page, "can_create": bool(editable_ids)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def target_create(request):
    organisations = editable_organisations(request.user)
    if not organisations.exists():
        raise Http404
    form = TargetForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        target = form.save()
        messages.success(request, _("The official %(name)s is saved.") % {"name": target.name})
        back = safe_next(request, reverse("dashboard:targets"))
        if back.split("?", 1)[0].endswith("/officials/") and "/campaigns/" in back:
            # Back to a campaign's officials, where the new one comes ticked.
            back = f"{back.split('?', 1)[0]}?{urlencode({'added': target.pk})}"
        return redirect(back)
    return render(
        request,
        "campaigns/dashboard/target_form.html",
        {"form": form, "next": safe_next(request, "")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def target_edit(request, pk):
    target = target_for_coordinator(request, pk, edit=True)
    form = TargetForm(request.POST or None, instance=target)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The official %(name)s is saved.") % {"name": target.name})
        return redirect(safe_next(request, reverse("dashboard:targets")))
    return render(
        request,
        "campaigns/dashboard/target_form.html",
        {"form": form, "target": target, "next": safe_next(request, "")},
    )


# -- Organisations, members and invitations ----------------------------------------------------


@login_required
@require_GET
def organisation_detail(request, slug):
    organisation = organisation_for_member(request, slug)
    is_owner = role_in(request.user, organisation) == Membership.Role.OWNER
    memberships = organisation.memberships.select_related("user").order_by("user__username")
    invitations = (
        organisation.invitations.filter(
            accepted_at__isnull=True, campaign__isnull=True
        ).select_related("invited_by")
        if is_owner
        else []
    )
    return render(
        request,
        "campaigns/dashboard/organisation_detail.html",
        {
            "organisation": organisation,
            "is_owner": is_owner,
            "memberships": memberships,
            "invitations": invitations,
            "roles": Membership.Role.choices,
            "now": timezone.now(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request, slug):
    organisation = organisation_for_member(request, slug, owner=True)
    form = OrganisationForm(request.POST or None, request.FILES or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The organisation's settings are saved."))
        return redirect("dashboard:organisation", organisation.slug)
    return render(
        request,
        "campaigns/dashboard/organisation_form.html",
        {"form": form, "organisation": organisation},
    )


def send_invitation_form(request, form, invite, *, done: str, template: str, context: dict):
    """The invitation form, for members and for partners: a valid POST calls `invite`.

    `invite` is the service with its first argument bound (services.invite for an
    organisation, services.invite_partner for a campaign); the form's cleaned data are its
    other fields. `done` is the URL to go to once the invitation is on its way. NotAnOwner
    answers 404; a ValidationError (the address was invited by a submit that ran at the same
    moment) is shown on the e-mail field.
    """
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invite(
                **form.cleaned_data,
                acting=request.user,
                base_url=request.build_absolute_uri("/"),
            )
        except services.NotAnOwner:
            raise Http404 from None
        except ValidationError as error:
            form.add_error("email", error)
        else:
            messages.success(
                request,
                _("The invitation is on its way to %(email)s.") % {"email": invitation.email},
            )
            return redirect(done)
    return render(request, template, {"form": form, **context})


def withdraw_invitation(request, invitations, pk, *, done: str):
    """Withdraw one of `invitations` (those this page may withdraw); 404 for any other."""
    invitation = get_object_or_404(invitations, pk=pk)
    try:
        services.withdraw_invitation(invitation, acting=request.user)
    except (Invitation.DoesNotExist, services.NotAnOwner):
        raise Http404 from None
    messages.success(
        request, _("The invitation to %(email)s is withdrawn.") % {"email": invitation.email}
    )
    return redirect(done)


@login_required
@require_http_methods(["GET", "POST"])
def invitation_create(request, slug):
    organisation = organisation_for_member(request, slug, owner=True)
    form = InvitationForm(request.POST or None, organisation=organisation)
    return send_invitation_form(
        request,
        form,
        partial(services.invite, organisation),
        done=reverse("dashboard:organisation", args=[organisation.slug]),
        template="campaigns/dashboard/invitation_form.html",
        context={"organisation": organisation},
    )


@login_required
@require_POST
def invitation_withdraw(request, slug, pk):
    organisation = organisation_for_member(request, slug, owner=True)
    waiting = organisation.invitations.filter(accepted_at__isnull=True, campaign__isnull=True)
    done = reverse("dashboard:organisation", args=[organisation.slug])
    return withdraw_invitation(request, waiting, pk, done=done)


def only_owner_message(membership) -> str:
    return _("%(user)s is the only owner. Make someone else an owner first.") % {
        "user": membership.user.get_username()
    }


@login_required
@require_POST
def member_role(request, slug, pk):
    organisation = organisation_for_member(request, slug, owner=True)
    membership = get_object_or_404(organisation.memberships.select_related("user"), pk=pk)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the roles offered."))
        return redirect("dashboard:organisation", organisation.slug)
    try:
        membership, changed = services.change_role(
            membership, form.cleaned_data["role"], acting=request.user
        )
    except (Membership.DoesNotExist, services.NotAnOwner):
        raise Http404 from None
    except services.LastOwner:
        messages.error(request, only_owner_message(membership))
    else:
        if changed:
            messages.success(
                request,
                _("%(user)s is now %(role)s.")
                % {"user": membership.user.get_username(), "role": membership.get_role_display()},
            )
        else:
            messages.info(request, _("Nothing changed."))
    return redirect("dashboard:organisation", organisation.slug)


@login_required
@require_http_methods(["GET", "POST"])
def member_remove(request, slug, pk):
    organisation = organisation_for_member(request, slug, owner=True)
    membership = get_object_or_404(organisation.memberships.select_related("user"), pk=pk)
    if request.method == "POST":
        try:
            services.remove_member(membership, acting=request.user)
        except (Membership.DoesNotExist, services.NotAnOwner):
            raise Http404 from None
        except services.LastOwner:
            messages.error(request, only_owner_message(membership))
        else:
            messages.success(
                request,
                _("%(user)s is no longer a member.") % {"user": membership.user.get_username()},
            )
            if membership.user == request.user and not request.user.is_superuser:
                return redirect("dashboard:home")
        return redirect("dashboard:organisation", organisation.slug)
    return render(
        request,
        "campaigns/dashboard/member_remove.html",
        {
            "organisation": organisation,
            "membership": membership,
            "last_owner": services.is_last_owner(membership),
        },
    )


def find_invitation(token: str):
    """The invitation for this token, and why it cannot be used (None when it can)."""
    invitation = (
        Invitation.objects.select_related("organisation", "invited_by", "campaign")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if invitation is None:
        return None, _(
            "This invitation link is not valid. Check that you copied the whole link, or ask "
            "the organisation for a new invitation."
        )
    if invitation.accepted_at:
        return invitation, _(
            "This invitation has already been used. Sign in to reach the organisation, or ask "
            "its owners for a new invitation."
        )
    if invitation.expires_at <= timezone.now():
        return invitation, _(
            "This invitation has expired. Ask the organisation's owners for a new one."
        )
    return invitation, None


def invitation_already_used(request):
    """The answer when another request claimed the invitation between our read and our claim."""
    return render(
        request,
        "campaigns/dashboard/invitation_invalid.html",
        {"problem": _("This invitation has already been used.")},
        status=410,
    )


@require_http_methods(["GET", "POST"])
def accept_invitation(request, token):
    """GET shows the invitation; POST joins the organisation (creating an account if needed)."""
    invitation, problem = find_invitation(token)
    if problem:
        return render(
            request,
            "campaigns/dashboard/invitation_invalid.html",
            {"problem": problem},
            status=404 if invitation is None else 410,
        )
    if invitation.campaign_id:
        return accept_partner_invitation(request, invitation)
    signed_in = request.user.is_authenticated
    account_form = None
    if not signed_in:
        account_form = NewAccountForm(
            request.POST if request.method == "POST" else None, email=invitation.email
        )
    if request.method == "POST" and (signed_in or account_form.is_valid()):
        # A new account is saved by the service, only if the invitation can still be claimed.
        user = request.user if signed_in else account_form.save(commit=False)
        try:
            membership, created = services.accept_invitation(invitation, user)
        except services.InvitationUnusable:
            return invitation_already_used(request)
        if not signed_in:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if created:
            messages.success(
                request,
                _("Welcome to %(organisation)s. You joined as %(role)s.")
                % {
                    "organisation": invitation.organisation.name,
                    "role": membership.get_role_display(),
                },
            )
        else:
            messages.info(
                request,
                _("You were already a member of %(organisation)s; your role is unchanged.")
                % {"organisation": invitation.organisation.name},
            )
        return redirect("dashboard:organisation", invitation.organisation.slug)
    return render(
        request,
        "campaigns/dashboard/invitation_accept.html",
        {"invitation": invitation, "account_form": account_form},
    )


# -- Partners and the embed --------------------------------------------------------------------


def is_owner_of(user, organisation) -> bool:
    return role_in(user, organisation) == Membership.Role.OWNER


def embed_code(request, campaign, source_code: str = "") -> dict:
    """The two lines a website pastes to carry the sign form, and the frame's address."""
    query = f"?source={source_code}" if source_code else ""
    src = request.build_absolute_uri(reverse("letters:embed", args=[campaign.slug])) + query
    script = request.build_absolute_uri(static("js/embed.js"))
    title = _("Sign: %(title)s") % {"title": campaign.title}
    lines = [
        format_html(
            '<iframe src="{}" title="{}" data-idei-embed loading="lazy" '
            'style="width:100%;max-width:640px;height:760px;border:0"></iframe>',
            src,
            title,
        ),
        format_html('<script src="{}" async></script>', script),
    ]
    link = request.build_absolute_uri(campaign.get_absolute_url()) + query
    return {"src": src, "code": "\n".join(lines), "link": link}


@login_required
@require_GET
def campaign_partners(request, slug):
    """The lead's view of its partners: who carries the campaign, and invitations waiting."""
    campaign = campaign_for_coordinator(request, slug)
    is_owner = is_owner_of(request.user, campaign.organisation)
    return render(
        request,
        "campaigns/dashboard/campaign_partners.html",
        {
            "campaign": campaign,
            "partnerships": campaign.partnerships.select_related("organisation"),
            "invitations": (
                campaign.partner_invitations.filter(accepted_at__isnull=True) if is_owner else []
            ),
            "is_owner": is_owner,
            "form": PartnerInvitationForm(campaign=campaign) if is_owner else None,
            "now": timezone.now(),
        },
    )


def lead_campaign_for_owner(request, slug):
    """The campaign, for an owner of its (lead) organisation; 404 for anyone else."""
    campaign = campaign_for_coordinator(request, slug)
    if not is_owner_of(request.user, campaign.organisation):
        raise Http404
    return campaign


@login_required
@require_http_methods(["GET", "POST"])
def partner_invite(request, slug):
    campaign = lead_campaign_for_owner(request, slug)
    form = PartnerInvitationForm(request.POST or None, campaign=campaign)
    return send_invitation_form(
        request,
        form,
        partial(services.invite_partner, campaign),
        done=reverse("dashboard:campaign_partners", args=[campaign.slug]),
        template="campaigns/dashboard/partner_invitation_form.html",
        context={"campaign": campaign},
    )


@login_required
@require_POST
def partner_invitation_withdraw(request, slug, pk):
    campaign = lead_campaign_for_owner(request, slug)
    waiting = campaign.partner_invitations.filter(accepted_at__isnull=True)
    done = reverse("dashboard:campaign_partners", args=[campaign.slug])
    return withdraw_invitation(request, waiting, pk, done=done)


@login_required
@require_POST
def partner_remove(request, slug, pk):
    campaign = lead_campaign_for_owner(request, slug)
    partnership = get_object_or_404(
        campaign.partnerships.select_related("organisation", "campaign"), pk=pk
    )
    try:
        services.remove_partner(partnership, acting=request.user)
    except services.NotAnOwner:
        raise Http404 from None
    messages.success(
        request,
        _("%(organisation)s is no longer a partner; its code no longer credits it.")
        % {"organisation": partnership.organisation.name},
    )
    return redirect("dashboard:campaign_partners", campaign.slug)


@login_required
@require_GET
def campaign_embed(request, slug):
    """The two lines to paste, with a live preview of the embed as it is now."""
    campaign = campaign_for_coordinator(request, slug)
    return render(
        request,
        "campaigns/dashboard/campaign_embed.html",
        {"campaign": campaign, "embed": embed_code(request, campaign)},
    )


def accept_partner_invitation(request, invitation):
    """The partner's side of an invitation: for an organisation they own, or a new one."""
    signed_in = request.user.is_authenticated
    data = request.POST if request.method == "POST" else None
    account_form = None if signed_in else NewAccountForm(data, email=invitation.email)
    form = PartnerAcceptForm(data, user=request.user, invitation=invitation)
    if data is not None and form.is_valid() and (signed_in or account_form.is_valid()):
        user = request.user if signed_in else account_form.save(commit=False)
        try:
            partnership, created = services.accept_partner_invitation(
                invitation,
                user,
                organisation=form.chosen,
                new_name=form.cleaned_data["new_name"],
            )
        except services.InvitationUnusable:
            return invitation_already_used(request)
        except services.NotAPartnerCandidate:
            raise Http404 from None
        if not signed_in:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if created:
            messages.success(
                request,
                _("%(organisation)s is now a partner of this campaign.")
                % {"organisation": partnership.organisation.name},
            )
        else:
            messages.info(request, _("Your organisation was already a partner: nothing changed."))
        return redirect(
            "letters:dashboard:partner", invitation.campaign.slug, partnership.organisation.slug
        )
    return render(
        request,
        "campaigns/dashboard/partner_invitation_accept.html",
        {"invitation": invitation, "account_form": account_form, "form": form},
    )
