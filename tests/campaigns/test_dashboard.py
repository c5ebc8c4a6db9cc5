"""The coordinator dashboard: campaigns, letters, cases and officials, preview, transitions."""

import io
import re

import factory
import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from campaigns.models import Campaign, CampaignStatusChange, LetterTemplate, Membership, Target
from cases.models import Case
from tests.factories import (
    CampaignFactory,
    CaseFactory,
    MembershipFactory,
    OrganisationFactory,
    TargetFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


class LetterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LetterTemplate

    campaign = factory.SubFactory(CampaignFactory)
    language = "en"
    subject = "Justice for {case_names}"
    body = "Dear {target_name},\n\nReopen the investigations.\n\n{signer_name}, {signer_city}"


@pytest.fixture
def coordinator():
    user = UserFactory(username="coordinator")
    MembershipFactory(user=user, role=Membership.Role.COORDINATOR, organisation__slug="our-org")
    return user


@pytest.fixture
def organisation(coordinator):
    return coordinator.memberships.get().organisation


@pytest.fixture
def signed_in(client, coordinator):
    client.force_login(coordinator)
    return client


@pytest.fixture
def draft(organisation):
    return CampaignFactory(organisation=organisation, slug="draft", status="draft", title="Draft")


@pytest.fixture
def ready(draft):
    """A draft with everything publishing needs."""
    draft.cases.add(CaseFactory(full_name="Lucía Beltrán"))
    draft.targets.add(TargetFactory(name="Ana Ruiz", language="en"))
    LetterFactory(campaign=draft)
    return draft


def campaign_data(organisation, **overrides):
    data = {
        "organisation": organisation.pk,
        "language": "en",
        "title": "Justice for Lucía",
        "slug": "",
        "summary": "Reopen the investigation.",
        "body": "**Lucía** was killed in 2017.",
        "image_credit": "",
        "goal": 500,
        "opens_at": "",
        "closes_at": "",
        "delivery_mode": "each",
        "thank_you_text": "Thank you.",
        "share_text": "Sign the letter.",
    }
    data.update(overrides)
    return data


def png(width=40, height=30, fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, fmt)
    return buffer.getvalue()


# -- Creating and editing ------------------------------------------------------------------------


def test_creating_a_campaign_saves_a_draft_with_an_address_from_the_title(
    signed_in, organisation, coordinator
):
    response = signed_in.post("/dashboard/campaigns/new/", campaign_data(organisation))
    campaign = Campaign.objects.get()
    assert response["Location"] == "/dashboard/campaigns/justice-for-lucia/"
    assert campaign.slug == "justice-for-lucia"
    assert campaign.status == Campaign.Status.DRAFT
    assert campaign.created_by == coordinator


def test_an_address_made_from_a_taken_title_gets_a_number(signed_in, organisation):
    CampaignFactory(slug="justice-for-lucia")
    signed_in.post("/dashboard/campaigns/new/", campaign_data(organisation))
    assert Campaign.objects.filter(slug="justice-for-lucia-2").exists()


def test_a_duplicate_address_is_refused_with_a_clear_message(signed_in, organisation):
    CampaignFactory(slug="taken")
    response = signed_in.post(
        "/dashboard/campaigns/new/", campaign_data(organisation, slug="taken")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Another campaign already uses the address /campaigns/taken/" in html
    assert 'href="#id_slug"' in html  # the summary at the top links to the field
    assert Campaign.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "<script>alert(1)</script>", "HTML tags such as"),
        ("summary", '<img src=x onerror="alert(1)">', "HTML tags such as"),
        ("body", "<script>alert(1)</script> **bold**", "use Markdown instead"),
        ("share_text", "<a href='https://evil.example'>x</a>", "HTML tags such as"),
        ("thank_you_text", "<!-- hidden -->", "HTML tags such as"),
        ("image_credit", "<b>me</b>", "HTML tags such as"),
        ("title", "x" * 201, "at most 200 characters"),
        ("share_text", "x" * 281, "at most 280 characters"),
        ("summary", "x" * 1001, "at most 1000 characters"),
        ("goal", "0", "The goal must be at least one signature."),
        ("goal", "-5", "The goal must be at least one signature."),
        ("goal", "many", "Enter a whole number."),
        ("slug", "new", "is reserved"),
        ("slug", "not a slug!", "Enter a valid"),
        ("closes_at", "2026-01-01T10:00", "The closing date must come after the opening date."),
    ],
)
def test_bad_input_gets_a_message_on_the_form_and_saves_nothing(
    signed_in, organisation, field, value, message
):
    data = campaign_data(organisation, opens_at="2026-06-01T10:00", **{field: value})
    response = signed_in.post("/dashboard/campaigns/new/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="error-summary"' in html
    assert f'href="#id_{field}"' in html
    assert message in html.replace("&#x27;", "'").replace("&quot;", '"')
    assert "<script>alert(1)" not in html
    assert not Campaign.objects.exists()


def test_template_syntax_in_a_title_is_kept_as_plain_text(signed_in, organisation):
    title = "{{ settings.SECRET_KEY }} {% debug %}"
    signed_in.post("/dashboard/campaigns/new/", campaign_data(organisation, title=title))
    campaign = Campaign.objects.get()
    html = signed_in.get(f"/dashboard/campaigns/{campaign.slug}/").content.decode()
    assert "{{ settings.SECRET_KEY }} {% debug %}" in html
    assert django_settings.SECRET_KEY not in html


def test_a_campaign_image_must_be_a_real_small_image(signed_in, organisation, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("photo.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = signed_in.post(
        "/dashboard/campaigns/new/", {**campaign_data(organisation), "image": fake}
    )
    assert "Upload a valid image" in response.content.decode()
    gif = SimpleUploadedFile("photo.gif", png(fmt="GIF"), content_type="image/gif")
    response = signed_in.post(
        "/dashboard/campaigns/new/", {**campaign_data(organisation), "image": gif}
    )
    assert "Upload a JPEG, PNG or WebP image." in response.content.decode()
    assert not Campaign.objects.exists()
    good = SimpleUploadedFile("photo.png", png(), content_type="image/png")
    signed_in.post("/dashboard/campaigns/new/", {**campaign_data(organisation), "image": good})
    assert Campaign.objects.get().image.name.startswith("campaigns/photo")


def test_a_campaign_image_over_five_megabytes_is_refused(signed_in, organisation, settings):
    big = SimpleUploadedFile("big.png", png() + b"\0" * (5 * 1024 * 1024), content_type="image/png")
    response = signed_in.post(
        "/dashboard/campaigns/new/", {**campaign_data(organisation), "image": big}
    )
    assert "the largest allowed is 5.0" in response.content.decode()
    assert not Campaign.objects.exists()


def test_editing_a_draft_changes_everything_asked(signed_in, draft, organisation):
    data = campaign_data(organisation, title="New title", slug="new-address", goal=42)
    response = signed_in.post("/dashboard/campaigns/draft/edit/", data)
    assert response["Location"] == "/dashboard/campaigns/new-address/"
    draft.refresh_from_db()
    assert (draft.title, draft.slug, draft.goal) == ("New title", "new-address", 42)


def test_a_published_campaign_keeps_what_people_signed(signed_in, draft, organisation):
    Campaign.objects.filter(pk=draft.pk).update(status="published", delivery_mode="each")
    data = campaign_data(
        organisation,
        title="Typo fixed",
        slug="moved",
        delivery_mode="petition",
        signers_may_edit="on",
        goal=2000,
    )
    response = signed_in.post("/dashboard/campaigns/draft/edit/", data)
    assert response["Location"] == "/dashboard/campaigns/draft/"
    draft.refresh_from_db()
    assert (draft.title, draft.goal) == ("Typo fixed", 2000)
    assert (draft.slug, draft.delivery_mode, draft.signers_may_edit) == ("draft", "each", False)


def test_the_edit_form_shows_locked_fields_as_disabled(signed_in, draft):
    Campaign.objects.filter(pk=draft.pk).update(status="published")
    html = signed_in.get("/dashboard/campaigns/draft/edit/").content.decode()
    assert "Locked: it cannot change once the campaign is published." in html
    assert 'name="slug"' in html and "disabled" in html


def test_a_repeated_edit_submit_changes_nothing_the_second_time(signed_in, draft, organisation):
    data = campaign_data(organisation, title="Once", slug="draft")
    signed_in.post("/dashboard/campaigns/draft/edit/", data)
    response = signed_in.post("/dashboard/campaigns/draft/edit/", data, follow=True)
    assert "Nothing changed." in response.content.decode()
    assert Campaign.objects.get().title == "Once"


# -- Cases, officials, letters -------------------------------------------------------------------


def test_cases_are_found_by_name_and_linked(signed_in, draft):
    wanted = CaseFactory(full_name="Lucía Beltrán", place="Culiacán")
    other = CaseFactory(full_name="Ramón Ibarra", place="Veracruz")
    CaseFactory(full_name="Lucía Unpublished", is_published=False)
    html = signed_in.get("/dashboard/campaigns/draft/cases/?q=luc").content.decode()
    assert "Lucía Beltrán" in html and "Ramón Ibarra" not in html
    assert "Lucía Unpublished" not in html
    response = signed_in.post("/dashboard/campaigns/draft/cases/", {"cases": [wanted.pk, other.pk]})
    assert response.status_code == 302
    assert set(draft.cases.all()) == {wanted, other}


def test_unticking_a_case_unlinks_it(signed_in, draft):
    keep, drop = CaseFactory(), CaseFactory()
    draft.cases.add(keep, drop)
    signed_in.post("/dashboard/campaigns/draft/cases/", {"cases": [keep.pk]})
    assert list(draft.cases.all()) == [keep]


def test_an_unpublished_case_cannot_be_linked(signed_in, draft):
    hidden = CaseFactory(is_published=False)
    response = signed_in.post("/dashboard/campaigns/draft/cases/", {"cases": [hidden.pk]})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not draft.cases.exists()


def test_officials_come_from_the_shared_ones_and_our_own(signed_in, draft, organisation):
    shared = TargetFactory(name="Shared Official", is_shared=True)
    ours = TargetFactory(name="Our Official", is_shared=False, created_by_organisation=organisation)
    theirs = TargetFactory(
        name="Their Private Official",
        is_shared=False,
        created_by_organisation=OrganisationFactory(),
    )
    html = signed_in.get("/dashboard/campaigns/draft/officials/?q=official").content.decode()
    assert "Shared Official" in html and "Our Official" in html
    assert "Their Private Official" not in html
    response = signed_in.post(
        "/dashboard/campaigns/draft/officials/", {"targets": [shared.pk, theirs.pk]}
    )
    assert "Select a valid choice" in response.content.decode()
    assert not draft.targets.exists()
    signed_in.post("/dashboard/campaigns/draft/officials/", {"targets": [shared.pk, ours.pk]})
    assert set(draft.targets.all()) == {shared, ours}


def letter_data(**letters):
    data = {}
    for code, _name in django_settings.LANGUAGES:
        subject, body = letters.get(code, ("", ""))
        data[f"letter-{code}-subject"] = subject
        data[f"letter-{code}-body"] = body
    return data


def test_the_letter_is_saved_per_language(signed_in, draft):
    response = signed_in.post(
        "/dashboard/campaigns/draft/letter/",
        letter_data(en=("Justice", "Dear {target_name}"), fr=("Justice", "Madame, {target_name}")),
    )
    assert response.status_code == 302
    assert dict(draft.letter_templates.values_list("language", "body")) == {
        "en": "Dear {target_name}",
        "fr": "Madame, {target_name}",
    }


def test_emptying_a_language_removes_its_letter(signed_in, draft):
    LetterFactory(campaign=draft, language="fr")
    signed_in.post("/dashboard/campaigns/draft/letter/", letter_data(en=("Justice", "Dear")))
    assert list(draft.letter_templates.values_list("language", flat=True)) == ["en"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Dear {target_nmae}, from {signer_email}", "{signer_email}, {target_nmae}"),
        ("{{ settings.SECRET_KEY }}", "Unknown placeholder: {settings.SECRET_KEY}"),
        ("{% debug %}", "A brace { or } is not part of a placeholder"),
        ("{target_name.__class__}", "{target_name.__class__}"),
        ("<script>alert(1)</script>", "HTML tags such as"),
        ("x" * 10001, "at most 10000 characters"),
    ],
)
def test_a_hostile_or_broken_letter_is_refused_naming_the_problem(signed_in, draft, body, message):
    response = signed_in.post(
        "/dashboard/campaigns/draft/letter/", letter_data(en=("Justice", body))
    )
    html = response.content.decode().replace("&#x27;", "'")
    assert response.status_code == 200
    assert 'href="#id_letter-en-body"' in html
    assert message in html
    assert not draft.letter_templates.exists()


def test_a_subject_without_a_letter_is_refused(signed_in, draft):
    response = signed_in.post("/dashboard/campaigns/draft/letter/", letter_data(es=("Hola", "")))
    assert "Write the letter, or also empty the subject." in response.content.decode()
    assert not draft.letter_templates.exists()


def test_a_published_campaigns_letter_cases_and_officials_do_not_change(signed_in, ready):
    ready.publish()
    before = (list(ready.letter_templates.values_list("body")), list(ready.cases.all()))
    for path, data in [
        ("letter/", letter_data(en=("Changed", "Changed"))),
        ("cases/", {"cases": []}),
        ("officials/", {"targets": []}),
    ]:
        response = signed_in.post(f"/dashboard/campaigns/draft/{path}", data, follow=True)
        assert "can no longer change" in response.content.decode()
    assert (list(ready.letter_templates.values_list("body")), list(ready.cases.all())) == before
    assert ready.targets.count() == 1


# -- Preview -------------------------------------------------------------------------------------


def test_the_preview_renders_each_letter_for_each_official_as_plain_text(signed_in, ready):
    ready.targets.add(TargetFactory(name="<b>Bold</b> Official", language="fr"))
    LetterFactory(campaign=ready, language="fr", subject="Justice", body="Madame {target_name}")
    html = signed_in.get("/dashboard/campaigns/draft/preview/").content.decode()
    assert "Dear Ana Ruiz," in html
    assert "Justice for Lucía Beltrán" in html
    assert "Madame &lt;b&gt;Bold&lt;/b&gt; Official" in html
    assert "<b>Bold</b>" not in html
    assert "Alex Example, Lyon" in html  # the sample signer
    assert html.count('class="letter-preview') == 4  # 2 languages, 2 officials each


def test_the_preview_refuses_post(signed_in, ready):
    assert signed_in.post("/dashboard/campaigns/draft/preview/").status_code == 405


# -- Transitions ---------------------------------------------------------------------------------


def test_get_on_publish_only_explains(signed_in, ready):
    html = signed_in.get("/dashboard/campaigns/draft/publish/").content.decode()
    assert "What will happen" in html and "becomes public" in html
    ready.refresh_from_db()
    assert ready.status == "draft"
    assert not CampaignStatusChange.objects.exists()


def test_publishing_without_officials_or_letter_lists_the_problems_and_changes_nothing(
    signed_in, draft
):
    response = signed_in.post("/dashboard/campaigns/draft/publish/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Add at least one target official." in html
    assert "Write the letter in at least one language." in html
    assert "Link at least one case." in html
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert not CampaignStatusChange.objects.exists()


def test_publishing_is_recorded_once_even_when_submitted_twice(signed_in, ready, coordinator):
    first = signed_in.post("/dashboard/campaigns/draft/publish/")
    second = signed_in.post("/dashboard/campaigns/draft/publish/", follow=True)
    assert first["Location"] == "/dashboard/campaigns/draft/"
    assert "Only a draft can be published; nothing changed." in second.content.decode()
    (change,) = CampaignStatusChange.objects.all()
    assert (change.from_status, change.to_status, change.changed_by) == (
        "draft",
        "published",
        coordinator,
    )
    html = signed_in.get("/dashboard/campaigns/draft/").content.decode()
    assert "Draft → Published" in html and "coordinator" in html


def test_close_then_deliver_in_order_only(signed_in, ready):
    assert signed_in.post("/dashboard/campaigns/draft/close/").status_code == 302
    assert signed_in.post("/dashboard/campaigns/draft/deliver/").status_code == 302
    ready.refresh_from_db()
    assert ready.status == "draft"  # neither is possible from a draft
    signed_in.post("/dashboard/campaigns/draft/publish/")
    signed_in.post("/dashboard/campaigns/draft/close/")
    signed_in.post("/dashboard/campaigns/draft/deliver/")
    ready.refresh_from_db()
    assert ready.status == "delivered"
    assert list(CampaignStatusChange.objects.values_list("to_status", flat=True)) == [
        "published",
        "closed",
        "delivered",
    ]


def test_transitions_refuse_other_methods(signed_in, ready):
    for action in ("publish", "close", "deliver"):
        assert signed_in.put(f"/dashboard/campaigns/draft/{action}/").status_code == 405
    ready.refresh_from_db()
    assert ready.status == "draft"


# -- Home ----------------------------------------------------------------------------------------


def test_home_lists_our_campaigns_with_their_numbers(signed_in, organisation):
    CampaignFactory(organisation=organisation, title="Ours", signature_count=1234, goal=5000)
    CampaignFactory(title="Someone else's")
    html = signed_in.get("/dashboard/").content.decode()
    assert "Ours" in html and "1,234" in html and "5,000" in html
    assert "Someone else&#x27;s" not in html


def test_a_user_without_organisation_is_told_how_to_join(client):
    client.force_login(UserFactory())
    html = client.get("/dashboard/").content.decode()
    assert "not a member of any organisation yet" in html
    assert client.get("/dashboard/campaigns/new/").status_code == 404


@pytest.mark.parametrize(
    "path", ["/dashboard/", "/dashboard/campaigns/draft/", "/dashboard/officials/"]
)
def test_read_pages_refuse_post(signed_in, draft, path):
    assert signed_in.post(path).status_code == 405


# -- Officials -----------------------------------------------------------------------------------


def target_data(organisation, **overrides):
    data = {
        "created_by_organisation": organisation.pk,
        "name": "Ana Ruiz",
        "position": "Attorney General",
        "institution": "FGR",
        "country": "MX",
        "email": "ana@fgr.example.org",
        "postal_address": "Av. Reforma 1",
        "language": "es",
        "source_url": "https://fgr.example.org/about",
        "last_verified": "2026-01-15",
        "is_shared": "on",
    }
    data.update(overrides)
    return data


def test_an_official_is_added_for_our_organisation(signed_in, organisation):
    response = signed_in.post("/dashboard/officials/new/", target_data(organisation))
    assert response["Location"] == "/dashboard/officials/"
    target = Target.objects.get()
    assert target.created_by_organisation == organisation and target.is_shared


def test_adding_an_official_from_a_campaign_returns_to_it(signed_in, organisation, draft):
    response = signed_in.post(
        "/dashboard/officials/new/?next=/dashboard/campaigns/draft/officials/",
        {**target_data(organisation), "next": "/dashboard/campaigns/draft/officials/"},
    )
    new = Target.objects.get(name=target_data(organisation)["name"])
    # Back to the campaign's officials, where the new one comes ticked (not saved yet).
    assert response["Location"] == f"/dashboard/campaigns/draft/officials/?added={new.pk}"
    html = signed_in.get(response["Location"]).content.decode()
    assert f'value="{new.pk}" id="target-{new.pk}" checked' in html
    assert "not saved yet" in html
    assert not draft.targets.exists()
    evil = signed_in.post(
        "/dashboard/officials/new/",
        {**target_data(organisation, name="B"), "next": "https://evil.example/"},
    )
    assert evil["Location"] == "/dashboard/officials/"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-address", "Enter a valid email address."),
        ("source_url", "javascript:alert(1)", "Enter a valid URL."),
        ("last_verified", "2999-01-01", "This date is in the future."),
        ("last_verified", "yesterday", "Enter a valid date."),
        ("name", "<script>alert(1)</script>", "HTML tags such as"),
        ("name", "x" * 201, "at most 200 characters"),
        ("country", "XX", "Select a valid choice"),
    ],
)
def test_bad_official_input_is_refused(signed_in, organisation, field, value, message):
    response = signed_in.post(
        "/dashboard/officials/new/", target_data(organisation, **{field: value})
    )
    html = response.content.decode()
    assert f'href="#id_{field}"' in html and message in html
    assert not Target.objects.exists()


def test_the_officials_list_searches_by_country_and_name(signed_in):
    TargetFactory(name="Ana Ruiz", country="MX")
    TargetFactory(name="Ana Pérez", country="CO")
    TargetFactory(name="Luis Gómez", country="MX")
    html = signed_in.get("/dashboard/officials/?q=ana&country=MX").content.decode()
    assert "Ana Ruiz" in html
    assert "Ana Pérez" not in html and "Luis Gómez" not in html


def test_only_the_creating_organisation_may_edit_an_official(signed_in, organisation):
    ours = TargetFactory(created_by_organisation=organisation)
    shared = TargetFactory(created_by_organisation=OrganisationFactory(), is_shared=True)
    html = signed_in.get("/dashboard/officials/").content.decode()
    assert f"/dashboard/officials/{ours.pk}/edit/" in html
    assert f"/dashboard/officials/{shared.pk}/edit/" not in html
    assert signed_in.get(f"/dashboard/officials/{shared.pk}/edit/").status_code == 404
    response = signed_in.post(
        f"/dashboard/officials/{ours.pk}/edit/", target_data(organisation, name="Renamed")
    )
    assert response.status_code == 302
    ours.refresh_from_db()
    assert ours.name == "Renamed"


# -- Query counts --------------------------------------------------------------------------------


@pytest.fixture
def many_campaigns(postgres, organisation, coordinator):
    cases = CaseFactory.create_batch(3)
    targets = TargetFactory.create_batch(3)
    campaigns = Campaign.objects.bulk_create(
        Campaign(
            organisation=organisation,
            title=f"Campaign {n}",
            slug=f"campaign-{n}",
            summary="Reopen the investigations.",
            status="published",
            signature_count=n * 100,
            created_by=coordinator,
        )
        for n in range(200)
    )
    through_cases = Campaign.cases.through
    through_targets = Campaign.targets.through
    through_cases.objects.bulk_create(
        through_cases(campaign_id=c.pk, case_id=case.pk) for c in campaigns for case in cases
    )
    through_targets.objects.bulk_create(
        through_targets(campaign_id=c.pk, target_id=t.pk) for c in campaigns for t in targets
    )
    LetterTemplate.objects.bulk_create(
        LetterTemplate(campaign=c, language=code, subject="S", body="Dear {target_name}")
        for c in campaigns
        for code, _name in django_settings.LANGUAGES
    )
    CampaignStatusChange.objects.bulk_create(
        CampaignStatusChange(campaign=c, from_status="draft", to_status="published")
        for c in campaigns
    )
    return campaigns


def test_the_dashboard_home_runs_a_fixed_number_of_queries(
    signed_in, many_campaigns, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        response = signed_in.get("/dashboard/")
    assert response.status_code == 200
    assert "Campaign 199" in response.content.decode()


@pytest.mark.parametrize("page", ["", "preview/", "edit/"])
def test_a_campaign_page_runs_a_fixed_number_of_queries(
    signed_in, many_campaigns, django_assert_max_num_queries, page
):
    with django_assert_max_num_queries(12):
        response = signed_in.get(f"/dashboard/campaigns/campaign-7/{page}")
    assert response.status_code == 200


def test_the_officials_list_runs_a_fixed_number_of_queries(
    signed_in, many_campaigns, django_assert_max_num_queries
):
    TargetFactory.create_batch(120)
    with django_assert_max_num_queries(8):
        response = signed_in.get("/dashboard/officials/")
    assert response.status_code == 200


# -- Delivery: digests by default for big campaigns ----------------------------------------------


@pytest.mark.parametrize(
    ("goal", "expected"),
    [(1, "each"), (299, "each"), (300, "digest"), (100_000, "digest")],
)
def test_a_new_campaign_left_to_its_goal_gets_digests_when_big(
    signed_in, organisation, settings, goal, expected
):
    settings.CAMPAIGN_DIGEST_FROM_GOAL = 300
    signed_in.post(
        "/dashboard/campaigns/new/", campaign_data(organisation, goal=goal, delivery_mode="")
    )
    assert Campaign.objects.get().delivery_mode == expected


def test_a_big_campaign_posted_without_a_delivery_field_still_gets_digests(signed_in, organisation):
    data = campaign_data(organisation, goal=django_settings.CAMPAIGN_DIGEST_FROM_GOAL)
    del data["delivery_mode"]
    signed_in.post("/dashboard/campaigns/new/", data)
    assert Campaign.objects.get().delivery_mode == "digest"


@pytest.mark.parametrize("mode", ["each", "petition"])
def test_a_coordinators_choice_wins_over_the_default(signed_in, organisation, mode):
    signed_in.post(
        "/dashboard/campaigns/new/", campaign_data(organisation, goal=50_000, delivery_mode=mode)
    )
    assert Campaign.objects.get().delivery_mode == mode


@pytest.mark.parametrize("mode", ["daily", "<script>", "each" * 100, "\x00"])
def test_an_unknown_delivery_is_refused_and_saves_nothing(signed_in, organisation, mode):
    response = signed_in.post(
        "/dashboard/campaigns/new/", campaign_data(organisation, delivery_mode=mode)
    )
    assert response.status_code == 200
    assert not Campaign.objects.exists()
    assert "<script>" not in response.content.decode().split("</header>", 1)[-1].replace(
        "&lt;script&gt;", ""
    )


def test_the_new_campaign_form_offers_the_choice_by_goal_first(signed_in, organisation):
    html = signed_in.get("/dashboard/campaigns/new/").content.decode()
    assert '<option value="" selected>Chosen by the goal</option>' in html
    assert "300 signatures or more gets the digest" in html


def test_editing_a_draft_keeps_its_delivery_when_the_field_is_left_out(signed_in, draft):
    draft.delivery_mode = "each"
    draft.goal = 50_000
    draft.save()
    data = campaign_data(draft.organisation, goal=50_000)
    del data["delivery_mode"], data["organisation"]
    signed_in.post(f"/dashboard/campaigns/{draft.slug}/edit/", data)
    draft.refresh_from_db()
    assert draft.delivery_mode == "each"


def test_the_dashboard_says_why_a_big_campaign_gets_digests(signed_in, draft, settings):
    settings.OUTBOX_DOMAIN_HOURLY_LIMIT = 300
    Campaign.objects.filter(pk=draft.pk).update(goal=20_000, delivery_mode="digest")
    html = signed_in.get(f"/dashboard/campaigns/{draft.slug}/").content.decode()
    assert 'id="delivery-why"' in html
    assert "Why a digest: this campaign aims for 20,000 signatures" in html
    assert "at most 300 an hour" in html


def test_the_dashboard_warns_a_big_campaign_sending_letters_one_by_one(signed_in, draft):
    Campaign.objects.filter(pk=draft.pk).update(goal=20_000, delivery_mode="each")
    html = signed_in.get(f"/dashboard/campaigns/{draft.slug}/").content.decode()
    assert "but its letters go out one by one" in html


def test_the_dashboard_says_nothing_about_digests_for_a_small_campaign(signed_in, draft):
    Campaign.objects.filter(pk=draft.pk).update(goal=100, delivery_mode="each")
    html = signed_in.get(f"/dashboard/campaigns/{draft.slug}/").content.decode()
    assert 'id="delivery-why"' not in html


# -- Issue 15: preview a draft's public page; letters that contradict their cases ----------


def test_a_member_previews_the_drafts_public_page_at_its_own_address(signed_in, ready):
    response = signed_in.get(ready.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert "Preview of a draft" in html
    assert '<meta name="robots" content="noindex">' in html
    assert 'name="email"' not in html  # nothing can be signed before publication
    assert "Dear Ana Ruiz," in html


def test_the_dashboard_links_to_the_drafts_preview(signed_in, ready):
    html = signed_in.get(f"/dashboard/campaigns/{ready.slug}/").content.decode()

    assert f'href="{ready.get_absolute_url()}">Preview the public page' in html


def test_a_draft_stays_404_for_the_public_and_other_organisations(client, ready):
    assert client.get(ready.get_absolute_url()).status_code == 404
    stranger = UserFactory(username="stranger")
    MembershipFactory(user=stranger, organisation=OrganisationFactory())
    client.force_login(stranger)
    assert client.get(ready.get_absolute_url()).status_code == 404


def test_dashboard_warns_when_the_letter_lists_a_case_with_justice_done(signed_in, ready):
    ready.cases.add(CaseFactory(full_name="Pedro Resuelto", impunity=Case.Impunity.FULL_JUSTICE))

    html = signed_in.get(f"/dashboard/campaigns/{ready.slug}/").content.decode()

    assert "The letter and its cases may contradict each other" in html
    assert "Pedro Resuelto (Justice done)" in html
    assert "{unresolved_cases}" in html


def test_dashboard_says_nothing_when_the_letter_lists_only_unresolved_cases(signed_in, ready):
    ready.cases.add(CaseFactory(full_name="Pedro Resuelto", impunity=Case.Impunity.FULL_JUSTICE))
    ready.letter_templates.update(
        subject="Justice for {unresolved_case_names}",
        body="Dear {target_name},\n{unresolved_cases}",
    )

    html = signed_in.get(f"/dashboard/campaigns/{ready.slug}/").content.decode()

    assert "may contradict" not in html


def test_ticked_cases_are_kept_across_searches_until_saved(signed_in, draft):
    lucia = CaseFactory(full_name="Lucía Beltrán", place="Culiacán")
    ramon = CaseFactory(full_name="Ramón Ibarra", place="Veracruz")
    url = "/dashboard/campaigns/draft/cases/"

    # Lucía ticked in a first search, then a second search for Ramón: Lucía stays ticked.
    html = signed_in.post(url, {"q": "Ramón", "search": "1", "cases": [lucia.pk]}).content.decode()

    assert f'value="{lucia.pk}" id="case-{lucia.pk}" checked' in html
    assert "Ramón Ibarra" in html
    assert not draft.cases.exists()  # a search saves nothing
    signed_in.post(url, {"cases": [lucia.pk, ramon.pk]})
    assert set(draft.cases.all()) == {lucia, ramon}


def test_ticked_officials_are_kept_across_searches_until_saved(signed_in, draft):
    ana = TargetFactory(name="Ana Ruiz")
    luis = TargetFactory(name="Luis Gómez")
    url = "/dashboard/campaigns/draft/officials/"

    html = signed_in.post(url, {"q": "Luis", "search": "1", "targets": [ana.pk]}).content.decode()

    assert f'value="{ana.pk}" id="target-{ana.pk}" checked' in html
    assert "Luis Gómez" in html
    assert not draft.targets.exists()
    signed_in.post(url, {"targets": [ana.pk, luis.pk]})
    assert set(draft.targets.all()) == {ana, luis}


@pytest.mark.parametrize("hostile", ["x", "-1", "9" * 30, "1; DROP TABLE", "<b>1</b>"])
def test_hostile_ticks_and_added_ids_are_ignored(signed_in, draft, hostile):
    cases = signed_in.post(
        "/dashboard/campaigns/draft/cases/", {"q": "a", "search": "1", "cases": [hostile]}
    )
    officials = signed_in.get(f"/dashboard/campaigns/draft/officials/?added={hostile}")

    assert cases.status_code == 200 and officials.status_code == 200
    assert "<b>1</b>" not in cases.content.decode() + officials.content.decode()
    assert not draft.cases.exists() and not draft.targets.exists()


def test_another_organisations_unshared_official_cannot_be_added_by_id(signed_in, draft):
    theirs = TargetFactory(name="Secret Official", is_shared=False)

    html = signed_in.get(f"/dashboard/campaigns/draft/officials/?added={theirs.pk}").content
    assert b"Secret Official" not in html


def test_an_officials_position_and_address_parts_are_saved_per_language(signed_in, organisation):
    signed_in.post(
        "/dashboard/officials/new/",
        target_data(
            organisation,
            position_es="  Fiscal   General ",
            position_ar="النائب العام",
            postal_code="06500",
            city="Ciudad de México",
            country_area="CDMX",
        ),
    )

    target = Target.objects.get(name="Ana Ruiz")
    assert target.position_translations == {"es": "Fiscal General", "ar": "النائب العام"}
    assert (target.postal_code, target.city, target.country_area) == (
        "06500",
        "Ciudad de México",
        "CDMX",
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("position_es", "<b>Fiscal</b>"), ("position_fr", "x" * 201), ("city", "<img src=x>")],
)
def test_hostile_or_oversized_position_or_address_parts_are_refused(
    signed_in, organisation, field, value
):
    response = signed_in.post(
        "/dashboard/officials/new/", target_data(organisation, **{field: value})
    )

    assert response.status_code == 200
    assert not Target.objects.filter(name="Ana Ruiz").exists()


def test_the_letter_editor_writes_each_language_in_its_own_direction(signed_in, draft):
    html = signed_in.get("/dashboard/campaigns/draft/letter/").content.decode()

    assert re.search(r'<textarea[^>]*name="letter-ar-body"[^>]*>', html)
    arabic = re.search(r'<textarea[^>]*name="letter-ar-body"[^>]*>', html).group(0)
    english = re.search(r'<textarea[^>]*name="letter-en-body"[^>]*>', html).group(0)
    assert 'dir="rtl"' in arabic and 'lang="ar"' in arabic
    assert 'dir="ltr"' in english and 'lang="en"' in english
