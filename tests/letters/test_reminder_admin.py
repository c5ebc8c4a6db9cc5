"""Django admin for reminders: clear errors and nothing saved on bad input; no addresses listed."""

import datetime

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from letters.models import Reminder, ReminderText, Subscription
from letters.reminders.admin import next_send_date
from tests.factories import UserFactory
from tests.letters.factories import ReminderFactory, ReminderTextFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

ADD = "/admin/letters/reminder/add/"


@pytest.fixture
def admin(client):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


def reminder_form(texts=(("en", "Soon: {date}", "Hello from {country}."),), **fields):
    """What the admin's add form posts: the reminder and its inline texts."""
    data = {
        "name": "Two weeks before",
        "days_before": "14",
        "include_country_cases": "on",
        "include_open_campaigns": "on",
        "include_world_share": "on",
        "is_active": "on",
        "texts-TOTAL_FORMS": str(len(texts)),
        "texts-INITIAL_FORMS": "0",
        "texts-MIN_NUM_FORMS": "1",
        "texts-MAX_NUM_FORMS": "1000",
    }
    for n, (language, subject, body) in enumerate(texts):
        data[f"texts-{n}-language"] = language
        data[f"texts-{n}-subject"] = subject
        data[f"texts-{n}-body"] = body
    data.update(fields)
    return data


DEFAULTS = 4  # the data migrations' reminders (30, 7, 1, 0 days), in the six languages each


def nothing_saved():
    return Reminder.objects.count() == DEFAULTS and ReminderText.objects.count() == 6 * DEFAULTS


@pytest.mark.parametrize(
    "path",
    [
        "/admin/letters/subscription/",
        "/admin/letters/subscription/?state=active",
        "/admin/letters/subscription/?state=unsubscribed",
        "/admin/letters/subscription/?state=bounced",
        "/admin/letters/subscription/?q=MX",
        "/admin/letters/reminder/",
        ADD,
    ],
)
def test_admin_pages_load(admin, path):
    SubscriptionFactory()
    ReminderTextFactory()
    assert admin.get(path).status_code == 200


def test_subscription_lists_never_show_addresses(admin):
    SubscriptionFactory(email="secret.person@example.org")
    html = admin.get("/admin/letters/subscription/").content.decode()
    assert "secret.person" not in html


def test_the_state_filter_shows_only_unsubscribed(admin):
    SubscriptionFactory(country="FR")
    SubscriptionFactory(country="PH", unsubscribed_at=timezone.now())
    response = admin.get("/admin/letters/subscription/?state=unsubscribed")
    assert [s.country.code for s in response.context["cl"].result_list] == ["PH"]


def test_search_by_country_finds_subscriptions(admin):
    SubscriptionFactory(country="FR")
    SubscriptionFactory(country="PH")
    response = admin.get("/admin/letters/subscription/?q=PH")
    assert [s.country.code for s in response.context["cl"].result_list] == ["PH"]


def test_an_invalid_time_zone_is_refused_in_admin(admin):
    subscription = SubscriptionFactory(time_zone="America/Mexico_City")
    response = admin.post(
        f"/admin/letters/subscription/{subscription.pk}/change/",
        {"country": "MX", "language": "es", "time_zone": "Mars/Olympus_Mons"},
    )
    assert response.status_code == 200
    assert "is not a time zone we know" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.time_zone == "America/Mexico_City"


def test_a_valid_reminder_with_its_text_is_saved(admin):
    response = admin.post(ADD, reminder_form())
    assert response.status_code == 302
    reminder = Reminder.objects.get(days_before=14)
    assert reminder.texts.get().subject == "Soon: {date}"


@pytest.mark.parametrize("days", ["-1", "366", "1000"])
def test_an_offset_outside_a_year_is_refused(admin, days):
    response = admin.post(ADD, reminder_form(days_before=days))
    assert "between 0 (on 2 November itself) and 365 days" in response.content.decode()
    assert nothing_saved()


def test_two_reminders_on_the_same_day_are_refused(admin):
    ReminderFactory(days_before=14, name="Fortnight")
    response = admin.post(ADD, reminder_form(days_before="14"))
    assert "“Fortnight” already goes out 14 days before" in response.content.decode()
    assert Reminder.objects.count() == DEFAULTS + 1


def test_an_unknown_placeholder_in_the_body_is_refused_by_name(admin):
    response = admin.post(ADD, reminder_form(texts=[("en", "Soon", "Dear {first_name},")]))
    assert "Unknown placeholder: {first_name}" in response.content.decode()
    assert nothing_saved()


def test_an_unknown_placeholder_in_the_subject_is_refused(admin):
    response = admin.post(ADD, reminder_form(texts=[("en", "{secret}", "Hello")]))
    assert "Unknown placeholder: {secret}" in response.content.decode()
    assert nothing_saved()


def test_a_stray_brace_is_refused(admin):
    response = admin.post(ADD, reminder_form(texts=[("en", "Soon", "Hello {country")]))
    assert "is not part of a placeholder" in response.content.decode()
    assert nothing_saved()


def test_two_texts_in_one_language_are_refused(admin):
    texts = [("en", "One", "Hello"), ("en", "Two", "Hello again")]
    response = admin.post(ADD, reminder_form(texts=texts))
    assert "Write one text per language: en appears more than once." in (response.content.decode())
    assert nothing_saved()


def test_a_reminder_without_an_english_text_is_refused(admin):
    response = admin.post(ADD, reminder_form(texts=[("fr", "Bientôt", "Bonjour")]))
    assert "Add an English text" in response.content.decode()
    assert nothing_saved()


def test_hostile_text_is_escaped_in_the_admin_list(admin):
    ReminderFactory(name="<script>alert(1)</script>")
    html = admin.get("/admin/letters/reminder/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_list_shows_the_next_send_date(admin):
    ReminderTextFactory(reminder=ReminderFactory(days_before=14))
    html = admin.get("/admin/letters/reminder/").content.decode()
    expected = next_send_date(14, timezone.localdate())
    assert date_format(expected) in html


@pytest.mark.parametrize(
    "days_before, today, expected",
    [
        (30, datetime.date(2026, 9, 1), datetime.date(2026, 10, 3)),
        (0, datetime.date(2026, 11, 2), datetime.date(2026, 11, 2)),
        (0, datetime.date(2026, 11, 3), datetime.date(2027, 11, 2)),
        (365, datetime.date(2027, 11, 3), datetime.date(2027, 11, 3)),  # for 2028-11-02 (leap)
    ],
)
def test_next_send_date_follows_the_due_rule(days_before, today, expected):
    assert next_send_date(days_before, today) == expected


def test_the_default_reminders_exist_in_the_six_languages():
    defaults = Reminder.objects.filter(days_before__in=[30, 7, 1, 0])
    assert sorted(defaults.values_list("days_before", flat=True)) == [0, 1, 7, 30]
    for reminder in defaults:
        assert sorted(reminder.texts.values_list("language", flat=True)) == [
            "ar",
            "en",
            "es",
            "fr",
            "ru",
            "zh-hans",
        ]


@pytest.mark.parametrize("language, word", [("ru", "Здравствуйте"), ("zh-hans", "您好")])
def test_the_default_reminders_speak_russian_and_chinese(language, word):
    texts = ReminderText.objects.filter(reminder__days_before__in=[30, 7, 1, 0], language=language)
    assert texts.count() == 4
    assert all(word in text.body and "{date}" in text.body for text in texts)


@pytest.mark.parametrize(
    "language, site_administration, campaigns",
    [("ru", "Администрирование сайта", "Кампании"), ("zh-hans", "站点管理", "活动")],
)
def test_the_admin_speaks_russian_and_chinese(admin, language, site_administration, campaigns):
    admin.cookies["django_language"] = language
    html = admin.get("/admin/").content.decode()
    assert site_administration in html  # Django's own strings
    assert campaigns in html  # ours: the apps' names


def test_the_default_texts_use_only_known_placeholders():
    from letters.reminders.content import validate_reminder_text

    texts = ReminderText.objects.filter(reminder__days_before__in=[30, 7, 1, 0])
    assert texts.count() == 24
    for text in texts:
        validate_reminder_text(text.subject)
        validate_reminder_text(text.body)


def test_no_one_can_add_a_subscription_in_admin(admin):
    assert admin.get("/admin/letters/subscription/add/").status_code == 403
    assert Subscription.objects.count() == 0
