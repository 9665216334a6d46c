"""The lottery: reproducible, unbiased, verifiable from what is published, and honest about what does not match."""

import hashlib
import itertools
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from django.utils import translation

from yunlou.core.errors import ImportRejected, ValidationFailed
from yunlou.launch.lottery import (
    anomalies,
    draw,
    list_digest,
    parse_external_order,
    seed_commitment,
    seed_new,
    uniform_index,
    verify,
)

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "verify_lottery.py"
SEED = "00112233445566778899aabbccddeeff" * 2
OTHER_SEED = "ffeeddccbbaa99887766554433221100" * 2
PUBLIC_VALUE = "公证处 2025-03-01 第6组 305"
NUMBERS = [f"YQF-{n:06d}" for n in (17, 3, 42, 8, 25, 11, 30)]

# Computed once with yunlou.launch.lottery and frozen: a change to the algorithm must fail here.
KNOWN_ORDER = ["YQF-000011", "YQF-000017", "YQF-000003", "YQF-000025", "YQF-000030", "YQF-000042", "YQF-000008"]
KNOWN_LIST_DIGEST = "166a90270c750564d93f4cbde7a8cc0d4df1351a49bafa5ccf963fde6ce854b2"
KNOWN_SEED_COMMITMENT = "2a8abfa8cb9906290437854193ca6bca41d4d4e26d1d454bd66a35158095e737"


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in their English source, whatever the catalogue translates them to."""
    with translation.override("en"):
        yield


def independent_hmac_sha256(key: bytes, message: bytes) -> bytes:
    """RFC 2104 written out over hashlib, so the vector does not rest on the module's own use of `hmac`."""
    block = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in block) + message).digest()
    return hashlib.sha256(bytes(b ^ 0x5C for b in block) + inner).digest()


def independent_order(numbers: list[str], seed: str, public_value: str) -> list[str]:
    """docs/lottery.md read as a specification and implemented again, as a stranger would."""
    items = sorted(numbers)
    canonical = b"".join(number.encode() + b"\n" for number in items)
    digest = hashlib.sha256(canonical).hexdigest()
    key = independent_hmac_sha256(bytes.fromhex(seed),
                                  b"yunlou-lottery-v1\n" + digest.encode() + b"\n" + public_value.encode())
    words = (int.from_bytes(independent_hmac_sha256(key, i.to_bytes(8, "big"))[:8], "big") for i in itertools.count())
    for i in range(len(items) - 1, 0, -1):
        m = i + 1
        j = next(word for word in words if word < 2**64 - 2**64 % m) % m
        items[i], items[j] = items[j], items[i]
    return items


def test_the_known_answer_vector_is_reproduced_by_the_module():
    result = draw(NUMBERS, SEED, PUBLIC_VALUE)

    assert result.order == KNOWN_ORDER
    assert result.list_digest == KNOWN_LIST_DIGEST
    assert result.seed_commitment == KNOWN_SEED_COMMITMENT


def test_the_known_answer_vector_is_reproduced_by_an_independent_implementation():
    assert independent_order(NUMBERS, SEED, PUBLIC_VALUE) == KNOWN_ORDER
    assert hashlib.sha256("".join(n + "\n" for n in sorted(NUMBERS)).encode()).hexdigest() == KNOWN_LIST_DIGEST
    assert hashlib.sha256(SEED.encode()).hexdigest() == KNOWN_SEED_COMMITMENT


def test_the_independent_implementation_agrees_on_a_larger_list():
    numbers = [f"YQF-{n:06d}" for n in range(1, 301)]

    assert draw(numbers, OTHER_SEED, "907 413").order == independent_order(numbers, OTHER_SEED, "907 413")


def test_the_same_inputs_give_the_same_order_whatever_order_the_list_is_given_in():
    first = draw(NUMBERS, SEED, PUBLIC_VALUE)
    second = draw(list(reversed(NUMBERS)), SEED, PUBLIC_VALUE)

    assert first.order == second.order
    assert first.list_digest == second.list_digest


def test_the_order_is_a_permutation_of_the_list():
    numbers = [f"YQF-{n:06d}" for n in range(1, 51)]

    order = draw(numbers, seed_new(), "12345").order

    assert sorted(order) == numbers
    assert order != numbers  # 1 chance in 50! of a false failure


def test_a_new_seed_is_32_random_bytes_in_hex_and_its_commitment_is_the_sha256_of_that_text():
    seed = seed_new()

    assert len(seed) == 64 and bytes.fromhex(seed)
    assert seed != seed_new()
    assert seed_commitment(seed) == hashlib.sha256(seed.encode("ascii")).hexdigest()
    assert seed_commitment(seed.upper()) == seed_commitment(seed)


def test_the_list_digest_refuses_a_duplicate_and_a_number_with_a_space():
    with pytest.raises(ValidationFailed):
        list_digest(["YQF-000001", "YQF-000001"])
    with pytest.raises(ValidationFailed):
        list_digest(["YQF 000001"])
    with pytest.raises(ValidationFailed):
        list_digest(["YQF-000001\n"])


def test_a_malformed_seed_or_public_value_is_refused_before_drawing():
    with pytest.raises(ValidationFailed) as error:
        draw(NUMBERS, "abc", PUBLIC_VALUE)
    assert error.value.field == "seed"
    with pytest.raises(ValidationFailed) as error:
        draw(NUMBERS, SEED, " 305")
    assert error.value.field == "public_value"


# verify -----------------------------------------------------------------------------------------------------

@pytest.fixture
def published():
    return draw(NUMBERS, SEED, PUBLIC_VALUE).published()


def test_an_untouched_publication_verifies(published):
    verification = verify(published)

    assert verification.is_valid
    assert verification.order == KNOWN_ORDER


def test_changing_one_pledge_on_the_list_is_reported_as_a_changed_list(published):
    numbers = [("YQF-000099" if number == "YQF-000042" else number) for number in published.pledge_numbers]

    verification = verify(replace(published, pledge_numbers=numbers))

    assert not verification.is_valid
    assert "list_changed" in verification.codes
    assert "seed_mismatch" not in verification.codes


def test_revealing_another_seed_is_reported_as_not_matching_the_commitment(published):
    verification = verify(replace(published, seed=OTHER_SEED))

    assert verification.codes[0] == "seed_mismatch"
    assert "list_changed" not in verification.codes


def test_a_different_public_value_is_reported_as_an_order_that_differs_from_its_first_differing_place(published):
    verification = verify(replace(published, public_value="公证处 2025-03-01 第6组 306"))

    assert verification.codes == ["order_differs"]
    mismatch = verification.mismatches[0]
    pairs = zip(verification.order, published.order, strict=True)
    first = next(place for place, (drawn, claimed) in enumerate(pairs, start=1) if drawn != claimed)
    assert mismatch.place == first
    assert mismatch.expected == verification.order[first - 1]
    assert mismatch.claimed == published.order[first - 1]


def test_a_wrong_commitment_is_detected(published):
    verification = verify(replace(published, seed_commitment=hashlib.sha256(b"something else").hexdigest()))

    assert verification.codes == ["seed_mismatch"]


def test_two_swapped_places_are_named_by_the_first_of_them(published):
    order = list(published.order)
    order[2], order[3] = order[3], order[2]

    verification = verify(replace(published, order=order))

    assert verification.codes == ["order_differs"]
    assert verification.mismatches[0].place == 3
    assert KNOWN_ORDER[2] in verification.mismatches[0].message


def test_a_published_order_missing_its_last_place_differs_at_that_place(published):
    verification = verify(replace(published, order=published.order[:-1]))

    assert verification.codes == ["order_differs"]
    assert verification.mismatches[0].place == len(NUMBERS)


def test_a_seed_that_is_not_hex_is_reported_rather_than_raised(published):
    verification = verify(replace(published, seed="not a seed"))

    assert verification.codes == ["seed_invalid"]


# Fairness ---------------------------------------------------------------------------------------------------

def test_every_permutation_of_three_pledges_comes_out_about_equally_often():
    numbers = ["A-1", "A-2", "A-3"]
    draws = 6000

    counts = Counter(tuple(draw(numbers, SEED, f"draw {i}").order) for i in range(draws))

    assert set(counts) == set(itertools.permutations(numbers))
    for permutation, count in counts.items():  # expected 1000 each, standard deviation about 29
        assert 850 <= count <= 1150, (permutation, count)


@pytest.mark.parametrize("bound", [3, 5, 6, 7, 10, 100, 255])
def test_the_index_picker_refuses_exactly_the_words_that_would_bias_it(bound):
    """Exhaustive over 8-bit words: the accepted words land on each index equally often."""

    class Refused(Exception):
        pass

    hits = Counter()
    refused = []
    for word in range(256):
        source = iter([word])

        def next_word(source=source):
            try:
                return next(source)
            except StopIteration:
                raise Refused from None

        try:
            hits[uniform_index(bound, next_word, bits=8)] += 1
        except Refused:
            refused.append(word)

    assert set(hits) == set(range(bound))
    assert len(set(hits.values())) == 1
    assert refused == list(range(256 - 256 % bound, 256))
    assert len({Counter(word % bound for word in range(256))[index] for index in range(bound)}) == 2  # plain modulo


def test_the_index_picker_takes_the_next_word_after_a_refused_one():
    words = iter([2**64 - 1, 7])  # 2**64 mod 3 == 1, so the top word is the one refused

    assert uniform_index(3, lambda: next(words)) == 7 % 3


# The standalone script --------------------------------------------------------------------------------------

def test_the_standalone_script_prints_the_same_order_and_digests_as_the_module(tmp_path):
    numbers = [f"YQF-{n:06d}" for n in (5, 120, 3, 77, 64, 9, 1000, 2, 41, 300, 18)]
    list_file = tmp_path / "list.txt"
    list_file.write_bytes(("\r\n".join(numbers) + "\r\n\r\n").encode("utf-8"))

    output = subprocess.run([sys.executable, str(SCRIPT), str(list_file), SEED, PUBLIC_VALUE], capture_output=True,
                            check=True, timeout=30, env={"PYTHONIOENCODING": "utf-8"}).stdout.decode("utf-8")

    lines = output.splitlines()
    result = draw(numbers, SEED, PUBLIC_VALUE)
    assert lines[:-2] == result.order
    assert lines[-2] == f"# list sha256: {result.list_digest}"
    assert lines[-1] == f"# seed sha256: {result.seed_commitment}"


# An order drawn elsewhere -----------------------------------------------------------------------------------

ELIGIBLE = ["YQF-000001", "YQF-000002", "YQF-000003", "YQF-000004"]


def test_an_external_order_is_read_whatever_type_its_places_come_in():
    rows = [(1, "YQF-000003"), ("2", " YQF-000001 "), (3.0, "YQF-000004"), (None, ""), (4, "YQF-000002")]

    assert parse_external_order(rows, eligible=ELIGIBLE) == ["YQF-000003", "YQF-000001", "YQF-000004", "YQF-000002"]


def test_external_order_problems_are_named_by_row():
    rows = [
        (1, "YQF-000003"),  # row 2 (row 1 is the header)
        (2, "YQF-000009"),  # unknown pledge
        (2, "YQF-000001"),  # place 2 again
        (5, "YQF-000003"),  # place out of range, pledge again
        ("first", "YQF-000004"),  # not a place
    ]

    with pytest.raises(ImportRejected) as error:
        parse_external_order(rows, eligible=ELIGIBLE, first_row=2)

    details = error.value.details
    by_row = {(detail["row"], detail["column"]): detail["message"] for detail in details}
    assert "YQF-000009" in by_row[(3, "Pledge number")]
    assert "row 3" in by_row[(4, "Place")]
    assert "1 to 4" in by_row[(5, "Place")]
    assert "row 2" in by_row[(5, "Pledge number")]
    assert (6, "Place") in by_row
    assert any(detail["row"] is None and "YQF-000002" in detail["message"] for detail in details)
    assert any(detail["row"] is None and "place 3" in detail["message"] for detail in details)
    assert all(set(detail) == {"row", "column", "message"} for detail in details)


def test_an_external_order_with_a_pledge_missing_is_refused():
    with pytest.raises(ImportRejected) as error:
        parse_external_order([(1, "YQF-000001"), (2, "YQF-000002"), (3, "YQF-000003")], eligible=ELIGIBLE)

    assert [detail["row"] for detail in error.value.details] == [None, None]


# Anomalies --------------------------------------------------------------------------------------------------

@dataclass
class Pledge:
    number: str
    phone_index: str
    id_number_index: str


def pledges_for(order, **overrides):
    pledges = {number: Pledge(number, f"phone-{number}", f"id-{number}") for number in order}
    for number, changes in overrides.items():
        pledges[number] = replace(pledges[number], **changes)
    return pledges


CLEAN_ORDER = [f"YQF-{n:06d}" for n in (12, 40, 3, 77, 25, 91, 58, 14, 66, 30, 31, 32, 33, 34)]


def test_a_clean_order_raises_no_flag():
    # 30..34 sit consecutive in places 10 to 14: only place 10 is among the first ten, so not a run.
    assert anomalies(CLEAN_ORDER, pledges_by_number=pledges_for(CLEAN_ORDER)) == []


def test_four_consecutive_numbers_among_the_first_ten_places_are_flagged_wherever_they_sit():
    order = [f"YQF-{n:06d}" for n in (12, 101, 40, 103, 3, 102, 77, 25, 104, 91, 58)]

    flags = anomalies(order, pledges_by_number=pledges_for(order))

    assert [flag.kind for flag in flags] == ["consecutive_numbers"]
    assert flags[0].pledge_numbers == ("YQF-000101", "YQF-000102", "YQF-000103", "YQF-000104")
    assert flags[0].places == (2, 6, 4, 9)
    assert "YQF-000101" in flags[0].reason and "YQF-000104" in flags[0].reason


def test_two_consecutive_numbers_are_below_the_run_length():
    order = [f"YQF-{n:06d}" for n in (12, 13, 40, 3, 77)]

    assert anomalies(order, pledges_by_number=pledges_for(order)) == []
    assert [flag.kind for flag in anomalies(order, pledges_by_number=pledges_for(order), run_length=2)] == [
        "consecutive_numbers"]


def test_two_winners_sharing_a_phone_are_flagged():
    pledges = pledges_for(CLEAN_ORDER, **{"YQF-000040": {"phone_index": "same"}, "YQF-000066": {"phone_index": "same"}})

    flags = anomalies(CLEAN_ORDER, pledges_by_number=pledges)

    assert [(flag.kind, flag.places) for flag in flags] == [("shared_phone", (2, 9))]
    assert "same" not in flags[0].reason  # the blind index is never shown


def test_two_winners_sharing_an_id_number_are_flagged_but_not_beyond_the_first_places():
    shared = {"id_number_index": "x"}
    pledges = pledges_for(CLEAN_ORDER, **{"YQF-000003": shared, "YQF-000091": shared, "YQF-000033": shared})

    flags = anomalies(CLEAN_ORDER, pledges_by_number=pledges)

    assert [(flag.kind, flag.pledge_numbers) for flag in flags] == [("shared_id_number", ("YQF-000003", "YQF-000091"))]
