"""The cluster proof's verdict (bench/cluster.py): what it counts as lost, doubled or late.

The proof itself takes 10 minutes and the whole machine (make cluster-proof); its judgement
is plain functions over what the signers saw, the rows and the SMTP sink, checked here.
"""

from bench.cluster import judge, verdict

T0 = 1_000_000.0
CUTS = {"web_node_1_killed": T0 + 45, "worker_1_killed": T0 + 75, "redis_stopped": T0 + 105}
END = T0 + 180
KILL = CUTS["worker_1_killed"]


def signer(email, result="accepted", errors=(), attempts=None):
    errors = list(errors)
    return {
        "email": email,
        "started": T0,
        "answered": T0 + 5,
        "result": result,
        "errors": errors,
        "attempts": attempts or len(errors) + 1,
    }


def mail(email, message_id, at):
    return (at, email, message_id, "Please confirm your signature")


def figures(signers, messages, stored):
    return judge(signers, [(T0 + 10, 80.0)], messages, stored, CUTS, END, KILL)


def test_a_clean_run_passes():
    result = figures(
        [signer("a@x.org"), signer("b@x.org")],
        [mail("a@x.org", "<1@x>", T0 + 20), mail("b@x.org", "<2@x>", T0 + 30)],
        {"a@x.org": 1, "b@x.org": 1},
    )

    assert verdict(result) == []
    assert (result["accepted"], result["stored"], result["confirmed"]) == (2, 2, 2)


def test_an_accepted_signature_missing_from_the_database_is_lost():
    result = figures([signer("a@x.org")], [mail("a@x.org", "<1@x>", T0 + 20)], {})

    assert result["lost"] == ["a@x.org"]
    assert "1 accepted signatures not stored" in verdict(result)


def test_a_signer_without_a_confirmation_fails_the_proof():
    result = figures([signer("a@x.org")], [], {"a@x.org": 1})

    assert "1 accepted signers got no confirmation" in verdict(result)


def test_the_same_message_twice_passes_only_when_it_was_in_flight_at_the_worker_kill():
    at_kill = figures(
        [signer("a@x.org")],
        [mail("a@x.org", "<1@x>", KILL - 1), mail("a@x.org", "<1@x>", KILL + 150)],
        {"a@x.org": 1},
    )
    elsewhere = figures(
        [signer("a@x.org")],
        [mail("a@x.org", "<1@x>", T0 + 20), mail("a@x.org", "<1@x>", T0 + 21)],
        {"a@x.org": 1},
    )

    assert len(at_kill["duplicates"]) == 1
    assert verdict(at_kill) == []
    assert "a message was delivered twice away from the worker's SIGKILL" in verdict(elsewhere)


def test_a_second_link_is_allowed_only_to_a_signer_who_signed_again_after_an_error():
    messages = [mail("a@x.org", "<1@x>", T0 + 20), mail("a@x.org", "<2@x>", T0 + 30)]

    retried = figures([signer("a@x.org", errors=[T0 + 46])], messages, {"a@x.org": 1})
    not_retried = figures([signer("a@x.org")], messages, {"a@x.org": 1})

    assert verdict(retried) == []
    assert "1 signers got two links" in verdict(not_retried)


def test_errors_count_per_phase_and_fail_only_outside_the_cut_windows():
    result = figures(
        [
            signer("a@x.org", errors=[T0 + 46]),  # at the web node's kill
            signer("b@x.org", errors=[T0 + 120]),  # Redis down 10 s, then 20 s more
            signer("c@x.org", result="error", errors=[T0 + 10, T0 + 14]),  # steady: overload
        ],
        [mail("a@x.org", "<1@x>", T0 + 50), mail("b@x.org", "<2@x>", T0 + 130)],
        {"a@x.org": 1, "b@x.org": 1},
    )

    assert result["errors_by_phase"] == {"web_node_1_killed": 1, "redis_stopped": 1, "steady": 2}
    assert result["errors_outside_cut_windows"] == [-35.0, -31.0]
    assert verdict(result) == ["2 errors outside the cuts"]


def test_confirmations_later_than_two_minutes_after_the_end_fail_the_proof():
    result = figures([signer("a@x.org")], [mail("a@x.org", "<1@x>", END + 121)], {"a@x.org": 1})

    assert "the last confirmation came more than 2 minutes after the end" in verdict(result)


def test_rows_stored_for_clients_that_gave_up_are_counted_apart_not_as_lost():
    result = figures(
        [signer("a@x.org"), signer("b@x.org", result="error", errors=[T0 + 46, T0 + 50])],
        [mail("a@x.org", "<1@x>", T0 + 20), mail("b@x.org", "<2@x>", T0 + 60)],
        {"a@x.org": 1, "b@x.org": 1},
    )

    assert (result["stored"], result["stored_beyond_accepted"], result["lost"]) == (1, 1, [])
    assert verdict(result) == []
