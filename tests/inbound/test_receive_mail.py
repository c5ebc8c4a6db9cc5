"""manage.py receive_mail: a real SMTP server on loopback, real SMTP clients, a real worker.

DSNs and ARF reports are sent to it as a receiving server's MTA would relay them; what they
suppress or unsubscribe is read back from the database.
"""

import smtplib
import threading

import pytest
from django.core.management import call_command

from idei.celery import ping
from idei.inbound.management.commands.receive_mail import Command as ReceiveMail
from idei.inbound.models import InboundMessage
from idei.outbox import services as outbox_services
from idei.outbox import suppression
from idei.outbox.models import OutgoingMessage, Suppression
from idei.outbox.sending import return_path
from letters.models import MessageKind
from tests.conftest import free_port
from tests.letters.factories import SignatureFactory, SubscriptionFactory
from tests.letters.factories import open_campaign as make_campaign

from . import mail

DOMAIN = "idei.example.org"
worker_test = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receive_mail(settings):
    """`manage.py receive_mail --host 127.0.0.1 --port <free>` running in a thread."""
    settings.INBOUND_EMAIL_DOMAIN = DOMAIN
    command = ReceiveMail()
    port = free_port()
    thread = threading.Thread(
        target=call_command, args=(command, "--host", "127.0.0.1", "--port", str(port))
    )
    thread.start()
    try:
        _wait_until_listening(port)
        yield port
    finally:
        command.stopping.set()
        thread.join(timeout=10)
        assert not thread.is_alive()


def _wait_until_listening(port: int) -> None:
    for _ in range(100):
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=2) as client:
                client.noop()
            return
        except OSError:
            threading.Event().wait(0.05)
    raise AssertionError("receive_mail did not start listening")


def deliver(port: int, recipient: str, raw: bytes, sender: str = "") -> None:
    """Hand a message to receive_mail as an MTA does: bounces come from the null sender <>."""
    crlf = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")  # smtplib sends bytes as given
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail(sender, [recipient], crlf)


def drain():
    assert ping.delay("drained").get(timeout=30) == "drained"


def sent_message(to: str, kind=MessageKind.CONFIRMATION, key=None) -> OutgoingMessage:
    message = outbox_services.enqueue(
        kind=kind,
        key=key or f"test:{kind}:{to}",
        to=to,
        subject="Please confirm",
        body_text="Confirm.\n",
        send=False,
    )
    OutgoingMessage.objects.filter(pk=message.pk).update(status=OutgoingMessage.Status.SENT)
    return message


def person(address: str):
    signature = SignatureFactory(
        campaign=make_campaign(), email=address, email_key=address, consent_updates=True
    )
    subscription = SubscriptionFactory(email=address, email_key=address)
    return signature, subscription


@pytest.mark.faults
@worker_test
def test_a_dsn_over_smtp_suppresses_the_address_of_the_message_it_returns(
    celery_worker, receive_mail
):
    signature, subscription = person("gone@example.net")
    sent_message("still-here@example.net")
    message = sent_message("gone@example.net")

    deliver(receive_mail, return_path(message), mail.dsn("gone@example.net", return_path(message)))
    drain()

    entry = suppression.find("gone@example.net")
    assert entry.reason == Suppression.Reason.BOUNCE
    assert entry.source_message_id == message.pk
    assert "gone@example.net" not in entry.detail
    assert suppression.find("still-here@example.net") is None
    assert Suppression.objects.count() == 1
    signature.refresh_from_db()
    subscription.refresh_from_db()
    assert signature.bounced_at is not None
    assert subscription.bounced_at is not None
    stored = InboundMessage.objects.get()
    assert stored.outcome == InboundMessage.Outcome.BOUNCE
    assert bytes(stored.raw) == b""  # acted on: the report quoting the address is not kept


@pytest.mark.faults
@worker_test
def test_an_arf_complaint_over_smtp_unsubscribes_the_address_from_non_transactional_mail(
    celery_worker, receive_mail
):
    signature, subscription = person("angry@example.net")
    message = sent_message("angry@example.net", kind=MessageKind.REMINDER)

    deliver(
        receive_mail,
        f"abuse@{DOMAIN}",
        mail.arf("angry@example.net", return_path(message)),
        sender="fbl@isp.example.net",
    )
    drain()

    assert suppression.find("angry@example.net").reason == Suppression.Reason.COMPLAINT
    signature.refresh_from_db()
    subscription.refresh_from_db()
    assert (signature.consent_updates, signature.consent_reminders) == (False, False)
    assert subscription.unsubscribed_at is not None
    assert subscription.bounced_at is None
    # A complaint stops reminders, not the confirmation of a new signature.
    assert suppression.blocked(
        [("angry@example.net", MessageKind.REMINDER), ("angry@example.net", "confirmation")]
    ) == {"angry@example.net"}
    assert suppression.blocked([("angry@example.net", MessageKind.CONFIRMATION)]) == set()


@pytest.mark.faults
@worker_test
def test_a_vacation_auto_reply_changes_nothing(celery_worker, receive_mail):
    signature, subscription = person("away@example.net")
    message = sent_message("away@example.net")

    deliver(
        receive_mail,
        return_path(message),
        mail.vacation_reply("away@example.net"),
        sender="away@example.net",
    )
    drain()

    assert not Suppression.objects.exists()
    signature.refresh_from_db()
    subscription.refresh_from_db()
    assert signature.bounced_at is None and signature.consent_updates
    assert subscription.unsubscribed_at is None and subscription.bounced_at is None
    stored = InboundMessage.objects.get()
    assert stored.outcome == InboundMessage.Outcome.AUTO_REPLY
    assert (bytes(stored.raw), stored.envelope_from) == (b"", "")


TWENTY_MB = b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 21_000


@pytest.mark.faults
@pytest.mark.django_db(transaction=True)
def test_a_20_mb_message_is_refused_with_552_and_nothing_is_stored(receive_mail):
    message = sent_message("big@example.net")

    # A client that does not announce the size: refused at the end of DATA.
    with smtplib.SMTP("127.0.0.1", receive_mail, timeout=30) as client:
        client.ehlo()
        client.mail("")
        client.rcpt(return_path(message))
        code, _ = client.data(TWENTY_MB)

    assert code == 552
    assert not InboundMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_message_announced_as_20_mb_is_refused_before_it_is_sent(receive_mail):
    message = sent_message("big@example.net")
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        deliver(receive_mail, return_path(message), TWENTY_MB)  # smtplib sends MAIL ... SIZE=
    assert refused.value.smtp_code == 552
    assert not InboundMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "recipient",
    [
        "someone@idei.example.org",
        "bounce+1.000000000000000000000000@idei.example.org",  # a forged token
        "bounce+@idei.example.org",
        "postmaster@elsewhere.example.com",
        "bounce+1.0+x@idei.example.org",
    ],
)
def test_recipients_that_are_not_ours_are_refused_and_nothing_is_stored(receive_mail, recipient):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        deliver(receive_mail, recipient, mail.vacation_reply("x@example.net"))
    assert refused.value.recipients[recipient][0] == 550
    assert not InboundMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_return_path_for_another_domain_is_refused(receive_mail, settings):
    message = sent_message("someone@example.net")
    address = return_path(message).replace(DOMAIN, "other.example.org")
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        deliver(receive_mail, address, mail.vacation_reply("x@example.net"))


@pytest.mark.django_db(transaction=True)
def test_a_dsn_that_names_no_message_of_ours_suppresses_nobody(receive_mail):
    # Sent to postmaster@, quoting an address but no return path of ours: anyone could forge it.
    deliver(receive_mail, f"postmaster@{DOMAIN}", mail.dsn("victim@example.net", "x@example.com"))

    assert not Suppression.objects.exists()
    assert InboundMessage.objects.get().outcome == InboundMessage.Outcome.UNMATCHED


@pytest.mark.django_db(transaction=True)
def test_a_temporary_failure_report_suppresses_nobody(receive_mail):
    message = sent_message("slow@example.net")
    report = mail.dsn("slow@example.net", return_path(message), action="delayed", status="4.4.1")

    deliver(receive_mail, return_path(message), report)

    assert not Suppression.objects.exists()
    assert InboundMessage.objects.get().outcome == InboundMessage.Outcome.DELAY


@pytest.mark.django_db(transaction=True)
def test_the_same_dsn_twice_keeps_one_suppression_entry(receive_mail):
    message = sent_message("twice@example.net")
    report = mail.dsn("twice@example.net", return_path(message))

    deliver(receive_mail, return_path(message), report)
    deliver(receive_mail, return_path(message), report)

    assert Suppression.objects.count() == 1
    assert InboundMessage.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_garbage_is_stored_and_kept_without_acting(receive_mail):
    garbage = b"\x00\xff not a message at all \r\n\r\n\xfe" * 50
    deliver(receive_mail, f"postmaster@{DOMAIN}", garbage)

    stored = InboundMessage.objects.get()
    assert bytes(stored.raw).startswith(b"\x00\xff not a message")
    assert stored.status == InboundMessage.Status.PROCESSED
    assert not Suppression.objects.exists()


@pytest.mark.django_db
def test_a_bounce_of_an_erased_message_suppresses_nothing():
    message = sent_message("erased@example.net")
    OutgoingMessage.objects.filter(pk=message.pk).update(to_email="")
    message.refresh_from_db()
    assert suppression.suppress(message.to_email, Suppression.Reason.BOUNCE) is None
    assert not Suppression.objects.exists()


@pytest.mark.django_db
def test_a_bounce_after_a_complaint_strengthens_the_entry_and_not_the_reverse():
    suppression.suppress("x@example.net", Suppression.Reason.COMPLAINT)
    suppression.suppress("X@Example.net ", Suppression.Reason.BOUNCE)
    suppression.suppress("x@example.net", Suppression.Reason.COMPLAINT)
    assert list(Suppression.objects.values_list("reason", flat=True)) == ["bounce"]


@pytest.mark.django_db
def test_the_list_holds_no_address_and_still_matches_after_a_key_rotation(settings):
    suppression.suppress(
        "kept@example.net", Suppression.Reason.BOUNCE, detail="550 kept@example.net"
    )
    entry = Suppression.objects.get()
    assert "kept@example.net" not in f"{entry.address_hash} {entry.detail}"

    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-" + "x" * 50
    assert suppression.find("kept@example.net") == entry
