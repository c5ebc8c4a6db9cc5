"""Log lines never hold an e-mail or IP address (issue 13, point 5): keyed hashes instead."""

import io
import json
import logging
import smtplib

from idei.logging import JsonFormatter, RedactPersonalData, keyed_hash


def logged(*args, **kwargs) -> dict:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactPersonalData())
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(*args, **kwargs)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    return json.loads(stream.getvalue())


def test_addresses_in_the_message_and_extra_fields_become_keyed_hashes():
    line = logged(
        "refused %s from %s",
        "Ana.Lopez+x@example.org",
        "2001:db8::7",
        extra={"client_ip": "198.51.100.4", "error": "550 <ana@example.org> unknown", "n": 3},
    )
    text = json.dumps(line)
    for value in ("Ana.Lopez", "example.org", "2001:db8::7", "198.51.100.4"):
        assert value not in text
    assert line["client_ip"] == keyed_hash("ip", "198.51.100.4")
    assert keyed_hash("email", "ana@example.org") in line["error"]
    assert keyed_hash("ip", "2001:db8::7") in line["message"]
    assert line["n"] == 3


def test_the_same_address_gives_the_same_hash_and_another_a_different_one():
    assert keyed_hash("ip", "198.51.100.4") == keyed_hash("ip", "198.51.100.4")
    assert keyed_hash("ip", "198.51.100.4") != keyed_hash("ip", "198.51.100.5")
    assert keyed_hash("email", "a@example.org") == keyed_hash("email", "A@Example.org ")


def test_a_traceback_loses_the_refused_address():
    try:
        raise smtplib.SMTPRecipientsRefused({"zoe@example.org": (550, b"5.1.1 no such user")})
    except smtplib.SMTPRecipientsRefused:
        line = logged("outbox: gave up", exc_info=True)
    assert "zoe@example.org" not in json.dumps(line)
    assert "SMTPRecipientsRefused" in line["exception"]


def test_versions_times_and_plain_numbers_are_left_alone():
    line = logged("weasyprint 62.3.1 at 12:30:45 for campaign 10.5")
    assert line["message"] == "weasyprint 62.3.1 at 12:30:45 for campaign 10.5"
