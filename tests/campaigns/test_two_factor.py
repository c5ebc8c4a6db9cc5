"""Two-factor sign-in (TOTP and recovery codes): required for staff and for the members of an
organisation whose owner requires it, offered to every coordinator. Through HTTP, with the
real database; the codes are computed from the key the setup page shows, as an app would."""

import base64
import re

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from campaigns.accounts import PENDING_SESSION_KEY
from campaigns.models import Membership
from campaigns.two_factor import REQUIREMENT_RECHECK_SECONDS, REQUIREMENT_SESSION_KEY
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def current_code(key: bytes) -> str:
    return f"{TOTP(key).token():06d}"


def shown_key(html: str) -> bytes:
    """The key the setup page shows for typing into an app."""
    secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


def sign_in(client, username, next_url=None):
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/login/", data)


def set_up_in_browserless_app(client) -> tuple[bytes, list[str]]:
    """Scan (read the key), type the code: the recovery codes page is what comes back."""
    page = client.get("/accounts/two-factor/setup/")
    assert page.status_code == 200
    key = shown_key(page.content.decode())
    done = client.post("/accounts/two-factor/setup/", {"code": current_code(key)})
    assert done.status_code == 200
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", done.content.decode())
    return key, codes


def enrolled(username, **user_fields) -> tuple:
    """A user who set up two-factor sign-in earlier: (user, key, recovery codes)."""
    user = UserFactory(username=username, **user_fields)
    client = Client()
    client.force_login(user)
    key, codes = set_up_in_browserless_app(client)
    TOTPDevice.objects.filter(user=user).update(last_t=-1)  # the setup code was for setting up
    return user, key, codes


@pytest.fixture
def quick_retyping(settings):
    """A person retypes a code after a second or more; a test does it at once. django-otp's
    wait after a wrong code (1, 2, 4... seconds) is scaled to nothing here."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# -- Staff must use it ---------------------------------------------------------------------


def test_a_superuser_sets_up_two_factor_before_being_signed_in(client):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    response = sign_in(client, "root", next_url="/admin/")
    assert response["Location"] == "/accounts/two-factor/setup/"
    assert not signed_in(client)
    assert client.get("/admin/")["Location"].startswith("/admin/login/")

    page = client.get("/accounts/two-factor/setup/").content.decode()
    assert "Your account must use two-factor sign-in" in page
    assert "<svg" in page and "<?xml" not in page
    key = shown_key(page)
    # The same key on a reload, so that a slow scan still matches.
    assert shown_key(client.get("/accounts/two-factor/setup/").content.decode()) == key

    wrong = client.post("/accounts/two-factor/setup/", {"code": "000000"})
    assert wrong.status_code == 200 and 'id="error-summary"' in wrong.content.decode()
    assert not signed_in(client)

    done = client.post("/accounts/two-factor/setup/", {"code": current_code(key)})
    html = done.content.decode()
    assert len(re.findall(r"<li>[a-z2-7]{8}</li>", html)) == 10
    assert 'href="/admin/"' in html
    assert signed_in(client)
    assert client.get("/admin/").status_code == 200


def test_a_staff_member_with_two_factor_signs_in_with_the_code_of_the_app(client):
    _, key, _ = enrolled("root", is_staff=True, is_superuser=True)
    response = sign_in(client, "root", next_url="/dashboard/officials/")
    assert response["Location"] == "/accounts/two-factor/verify/"
    assert not signed_in(client)
    assert client.get("/dashboard/")["Location"].startswith("/accounts/login/")

    response = client.post("/accounts/two-factor/verify/", {"code": current_code(key)})
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/officials/"
    assert signed_in(client)


def test_the_admin_sign_in_asks_for_the_code_too(client):
    _, key, _ = enrolled("root", is_staff=True, is_superuser=True)
    page = client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD})
    assert page["Location"] == "/accounts/login/?next=/admin/"
    sign_in(client, "root", next_url="/admin/")
    response = client.post("/accounts/two-factor/verify/", {"code": current_code(key)})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_does_not_sign_in(client):
    enrolled("root", is_staff=True)
    sign_in(client, "root")
    response = client.post("/accounts/two-factor/verify/", {"code": "123456"})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert not signed_in(client)


def test_a_code_of_the_app_works_once(client):
    _, key, _ = enrolled("root", is_staff=True)
    code = current_code(key)
    sign_in(client, "root")
    assert client.post("/accounts/two-factor/verify/", {"code": code}).status_code == 302
    client.post("/accounts/logout/")
    sign_in(client, "root")
    again = client.post("/accounts/two-factor/verify/", {"code": code})
    assert again.status_code in (200, 429)
    assert not signed_in(client)


def test_a_recovery_code_signs_in_once_and_says_how_many_are_left(client):
    _, _, codes = enrolled("root", is_staff=True)
    sign_in(client, "root")
    response = client.post("/accounts/two-factor/verify/", {"code": codes[0].upper()}, follow=True)
    assert signed_in(client)
    assert "You used a recovery code: 9 are left." in response.content.decode()
    client.post("/accounts/logout/")
    sign_in(client, "root")
    client.post("/accounts/two-factor/verify/", {"code": codes[0]})
    assert not signed_in(client)


def test_wrong_codes_make_the_next_try_wait_with_429_and_retry_after(client):
    user, key, _ = enrolled("root", is_staff=True)
    # Ten wrong codes in a row: django-otp makes the device wait 2^9 seconds before the next.
    TOTPDevice.objects.filter(user=user).update(
        throttling_failure_count=10, throttling_failure_timestamp=timezone.now()
    )
    StaticDevice.objects.filter(user=user).update(
        throttling_failure_count=10, throttling_failure_timestamp=timezone.now()
    )
    sign_in(client, "root")
    response = client.post("/accounts/two-factor/verify/", {"code": current_code(key)})
    assert response.status_code == 429
    assert 500 <= int(response["Retry-After"]) <= 512
    assert "Please wait 9 minutes, then try again." in response.content.decode()
    assert not signed_in(client)


def test_the_code_must_follow_the_password_within_ten_minutes(client):
    _, key, _ = enrolled("root", is_staff=True)
    sign_in(client, "root")
    session = client.session
    session[PENDING_SESSION_KEY]["since"] -= 601
    session.save()
    response = client.post("/accounts/two-factor/verify/", {"code": current_code(key)}, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert "Your sign-in took too long" in response.content.decode()
    assert not signed_in(client)


def test_the_code_pages_need_a_right_password_first(client):
    assert client.get("/accounts/two-factor/verify/")["Location"] == "/accounts/login/"
    assert client.get("/accounts/two-factor/setup/")["Location"] == "/accounts/login/"
    assert client.post("/accounts/two-factor/verify/", {"code": "123456"}).status_code == 302
    assert client.put("/accounts/two-factor/verify/").status_code == 405


def test_hostile_codes_are_refused_with_a_message(client):
    enrolled("root", is_staff=True)
    sign_in(client, "root")
    for code in ("x" * 10_000, "12\x0034", "<script>alert(1)</script>", "1234\r\n56", ""):
        response = client.post("/accounts/two-factor/verify/", {"code": code})
        html = response.content.decode()
        assert response.status_code == 200
        assert 'id="error-summary"' in html
        assert "<script>alert(1)</script>" not in html
    assert not signed_in(client)


def test_staff_cannot_turn_two_factor_off(client):
    user, key, _ = enrolled("root", is_staff=True)
    sign_in(client, "root")
    client.post("/accounts/two-factor/verify/", {"code": current_code(key)})
    TOTPDevice.objects.filter(user=user).update(last_t=-1)
    page = client.get("/accounts/two-factor/")
    assert "cannot be turned off" in page.content.decode()
    response = client.post("/accounts/two-factor/", {"action": "off", "code": current_code(key)})
    assert "must use two-factor sign-in" in response.content.decode()
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()


# -- Offered to every coordinator -----------------------------------------------------------


def test_a_coordinator_without_two_factor_signs_in_with_the_password_alone(client):
    MembershipFactory(user=UserFactory(username="ana"), role=Membership.Role.COORDINATOR)
    assert sign_in(client, "ana")["Location"] == "/dashboard/"
    assert signed_in(client)
    page = client.get("/accounts/two-factor/").content.decode()
    assert "Two-factor sign-in is off." in page
    assert 'href="/accounts/two-factor/setup/"' in page


def test_a_coordinator_turns_two_factor_on_then_off(client, quick_retyping):
    user = UserFactory(username="ana")
    MembershipFactory(user=user, role=Membership.Role.COORDINATOR)
    client.force_login(user)
    _key, codes = set_up_in_browserless_app(client)
    assert len(codes) == 10
    assert "Two-factor sign-in is on" in client.get("/accounts/two-factor/").content.decode()

    # Next time, the password is not enough.
    client.post("/accounts/logout/")
    assert sign_in(client, "ana")["Location"] == "/accounts/two-factor/verify/"
    client.post("/accounts/two-factor/verify/", {"code": codes[1]})
    assert signed_in(client)

    refused = client.post("/accounts/two-factor/", {"action": "off", "code": "000000"})
    assert "That code is not right." in refused.content.decode()
    response = client.post("/accounts/two-factor/", {"action": "off", "code": codes[2]})
    assert response["Location"] == "/accounts/two-factor/"
    assert not TOTPDevice.objects.filter(user=user).exists()
    client.post("/accounts/logout/")
    assert sign_in(client, "ana")["Location"] == "/dashboard/"


def test_new_recovery_codes_replace_the_old_ones(client, quick_retyping):
    user = UserFactory(username="ana")
    client.force_login(user)
    _, old_codes = set_up_in_browserless_app(client)
    response = client.post("/accounts/two-factor/", {"action": "codes", "code": old_codes[0]})
    new_codes = re.findall(r"<li>([a-z2-7]{8})</li>", response.content.decode())
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    client.post("/accounts/logout/")
    sign_in(client, "ana")
    client.post("/accounts/two-factor/verify/", {"code": old_codes[1]})
    assert not signed_in(client)
    client.post("/accounts/two-factor/verify/", {"code": new_codes[0]})
    assert signed_in(client)


def test_the_two_factor_settings_need_a_signed_in_user(client):
    assert client.get("/accounts/two-factor/")["Location"].startswith("/accounts/login/")


# -- An organisation's owner can require it -------------------------------------------------


def five_minutes_pass(client):
    """As if the session had noted the organisation's requirement five minutes ago."""
    session = client.session
    session[REQUIREMENT_SESSION_KEY]["at"] -= REQUIREMENT_RECHECK_SECONDS + 1
    session.save()


def organisation_settings(organisation, **changes):
    data = {
        "name": organisation.name,
        "country": organisation.country or "",
        "website": organisation.website,
        "contact_email": organisation.contact_email,
    }
    data.update(changes)
    return data


def test_an_owner_requires_two_factor_and_members_must_set_it_up(client):
    owner = UserFactory(username="owner")
    membership = MembershipFactory(user=owner, role=Membership.Role.OWNER)
    organisation = membership.organisation
    member = UserFactory(username="ana")
    MembershipFactory(user=member, organisation=organisation, role=Membership.Role.COORDINATOR)

    client.force_login(owner)
    form = client.get(f"/dashboard/organisations/{organisation.slug}/edit/").content.decode()
    assert 'name="require_two_factor"' in form
    response = client.post(
        f"/dashboard/organisations/{organisation.slug}/edit/",
        organisation_settings(organisation, require_two_factor="on"),
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.require_two_factor

    # The owner, signed in without it, is sent to set it up before anything else, at the
    # latest five minutes later (when the session's note of the requirement is looked up again).
    assert client.get("/dashboard/").status_code == 200
    five_minutes_pass(client)
    assert client.get("/dashboard/")["Location"] == "/accounts/two-factor/setup/"
    set_up_in_browserless_app(client)
    assert client.get("/dashboard/").status_code == 200

    # A member signing in sets it up before being signed in.
    other = Client()
    assert sign_in(other, "ana")["Location"] == "/accounts/two-factor/setup/"
    assert not signed_in(other)
    set_up_in_browserless_app(other)
    assert signed_in(other)
    assert other.get("/dashboard/").status_code == 200


def test_a_member_signed_in_with_two_factor_set_up_is_asked_for_the_code(client):
    user, key, _ = enrolled("ana")
    membership = MembershipFactory(user=user, role=Membership.Role.COORDINATOR)
    membership.organisation.require_two_factor = True
    membership.organisation.save()
    client.force_login(user)  # a session from before the requirement
    assert client.get("/dashboard/")["Location"] == "/accounts/two-factor/verify/"
    response = client.post("/accounts/two-factor/verify/", {"code": current_code(key)})
    assert response["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200


def test_only_an_owner_can_require_two_factor(client):
    membership = MembershipFactory(role=Membership.Role.COORDINATOR)
    client.force_login(membership.user)
    organisation = membership.organisation
    response = client.post(
        f"/dashboard/organisations/{organisation.slug}/edit/",
        organisation_settings(organisation, require_two_factor="on"),
    )
    assert response.status_code == 404
    organisation.refresh_from_db()
    assert not organisation.require_two_factor


def test_a_member_who_must_use_two_factor_cannot_turn_it_off(client):
    user, _key, codes = enrolled("ana")
    membership = MembershipFactory(user=user, role=Membership.Role.COORDINATOR)
    membership.organisation.require_two_factor = True
    membership.organisation.save()
    sign_in(client, "ana")
    client.post("/accounts/two-factor/verify/", {"code": codes[0]})
    client.post("/accounts/two-factor/", {"action": "off", "code": codes[1]})
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_the_dashboard_offers_two_factor_until_it_is_on(client):
    user = UserFactory(username="ana")
    MembershipFactory(user=user, role=Membership.Role.COORDINATOR)
    client.force_login(user)
    assert 'id="two-factor-offer"' in client.get("/dashboard/").content.decode()
    set_up_in_browserless_app(client)
    html = client.get("/dashboard/").content.decode()
    assert 'id="two-factor-offer"' not in html
    assert 'href="/accounts/two-factor/"' in html


def test_a_person_invited_into_an_organisation_that_requires_it_sets_it_up_first(
    client, smtp_server, django_capture_on_commit_callbacks
):
    owner = UserFactory(username="owner")
    organisation = MembershipFactory(user=owner, role=Membership.Role.OWNER).organisation
    organisation.require_two_factor = True
    organisation.save()
    owner_client = Client()
    owner_client.force_login(owner)
    set_up_in_browserless_app(owner_client)
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(
            f"/dashboard/organisations/{organisation.slug}/invitations/new/",
            {"email": "new.person@example.org", "role": "coordinator"},
        )
    text = smtp_server.wait_for(1)[0].get_body(("plain",)).get_content()
    link = re.search(r"http://testserver(/accounts/invitations/[\w-]+/)", text).group(1)

    passphrase = "a long passphrase of mine"
    client.post(link, {"username": "newbie", "password1": passphrase, "password2": passphrase})
    assert client.get("/dashboard/")["Location"] == "/accounts/two-factor/setup/"
    assert client.get("/dashboard/officials/")["Location"] == "/accounts/two-factor/setup/"
    set_up_in_browserless_app(client)
    assert client.get("/dashboard/").status_code == 200


def test_guessing_codes_on_the_settings_page_is_throttled_too(client):
    user, key, _ = enrolled("ana")
    client.force_login(user)
    TOTPDevice.objects.filter(user=user).update(
        throttling_failure_count=10, throttling_failure_timestamp=timezone.now()
    )
    response = client.post("/accounts/two-factor/", {"action": "off", "code": current_code(key)})
    assert response.status_code == 429
    assert 400 <= int(response["Retry-After"]) <= 512
    assert 'id="wait-message"' in response.content.decode()
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()
