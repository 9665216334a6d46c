"""The lottery (摇号) that orders the pledges of a launch: reproducible by anyone from what is published.

The rule (docs/lottery.md states it byte by byte, with a reference implementation):

1. Before the draw the eligible list is frozen. Its canonical form is the pledge numbers only (no names, no
   phones), sorted by code point, each followed by "\\n", encoded in UTF-8; its SHA-256 is published.
   A secret seed (32 random bytes, written as 64 lowercase hex characters) is drawn and the SHA-256 of
   those 64 ASCII characters is published beside it: the commitment.
2. At the draw someone outside the developer (the notary) enters a public value, and the seed is revealed.
   key = HMAC-SHA256(key=the 32 seed bytes, message="yunlou-lottery-v1\\n" + list digest (64 ASCII hex) +
   "\\n" + public value in UTF-8).
3. Random words: word i = the first 8 bytes, big-endian, of HMAC-SHA256(key, i as 8 bytes big-endian), for
   i = 0, 1, 2, … — one word per attempt, accepted or not.
4. Fisher–Yates over the sorted list: for i from n-1 down to 1, j = uniform(i+1), swap items i and j, where
   uniform(m) takes the next word x, refuses it if x >= 2**64 - (2**64 mod m) (so every index is equally
   likely) and otherwise answers x mod m. The list then reads from place 1 to place n.

Neither side can steer the result alone: the developer fixed the seed before knowing the public value, and
whoever chooses the public value does not know the seed. Binding the list digest into the key means the
same seed and public value give an unrelated order for any other list.

Pure functions and dataclasses: the launch services store what `draw` returns and publish it; the public
verify page calls `verify`. An order drawn elsewhere (a notary's or the housing authority's system) comes in
through `parse_external_order`; `anomalies` points the manager at winners worth a second look.
"""

import hashlib
import hmac
import re
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from django.utils.translation import gettext as _

from yunlou.core.errors import ImportRejected, ValidationFailed

ALGORITHM = "yunlou-lottery-v1"
SEED_BYTES = 32
WORD_BITS = 64
MAX_PUBLIC_VALUE_LENGTH = 200
_HEX = re.compile(r"[0-9a-f]{64}")
_NUMERIC_SUFFIX = re.compile(r"^(.*?)([0-9]+)$")


# The published list ---------------------------------------------------------------------------------------

def canonical_list(pledge_numbers: Iterable[str]) -> bytes:
    """The bytes whose SHA-256 is the list digest: numbers sorted by code point (which is also UTF-8 byte
    order), each followed by a line feed. Refuses what would make the lines ambiguous: an empty number,
    whitespace or control characters inside one, or the same number twice."""
    numbers = list(pledge_numbers)
    for number in numbers:
        if not isinstance(number, str) or not number or not number.isprintable() or any(
                character.isspace() for character in number):
            raise ValidationFailed(
                _("Pledge number %(number)r cannot be drawn: it must be non-empty, without spaces or control "
                  "characters.") % {"number": number},
                field="pledge_numbers", code="lottery_list_invalid")
    ordered = sorted(numbers)
    for previous, number in zip(ordered, ordered[1:], strict=False):
        if previous == number:
            raise ValidationFailed(_("Pledge number %(number)s is on the list twice.") % {"number": number},
                                   field="pledge_numbers", code="lottery_list_invalid")
    return "".join(f"{number}\n" for number in ordered).encode("utf-8")


def list_digest(pledge_numbers: Iterable[str]) -> str:
    """SHA-256 (lowercase hex) of the canonical list: published before the draw, so the list cannot change."""
    return hashlib.sha256(canonical_list(pledge_numbers)).hexdigest()


# The seed and its commitment ------------------------------------------------------------------------------

def seed_new() -> str:
    """A fresh secret seed: 32 bytes from the operating system's cryptographic generator, as lowercase hex."""
    return secrets.token_hex(SEED_BYTES)


def _seed_text(seed: str) -> str:
    text = seed.strip().lower() if isinstance(seed, str) else ""
    if not _HEX.fullmatch(text):
        raise ValidationFailed(_("The seed must be 64 hexadecimal characters."), field="seed",
                               code="lottery_seed_invalid")
    return text


def seed_commitment(seed: str) -> str:
    """SHA-256 (lowercase hex) of the seed's 64 lowercase hex characters in ASCII — what `printf %s SEED |
    sha256sum` prints — published before the draw, while the seed itself stays secret."""
    return hashlib.sha256(_seed_text(seed).encode("ascii")).hexdigest()


def _public_value_bytes(public_value: str) -> bytes:
    if (not isinstance(public_value, str) or not public_value or len(public_value) > MAX_PUBLIC_VALUE_LENGTH
            or not public_value.isprintable() or public_value != public_value.strip()):
        raise ValidationFailed(
            _("The public value must be 1 to %(length)s characters, without control characters or spaces at "
              "either end.") % {"length": MAX_PUBLIC_VALUE_LENGTH},
            field="public_value", code="lottery_public_value_invalid")
    return public_value.encode("utf-8")


# The draw -------------------------------------------------------------------------------------------------

def draw_key(*, seed: str, digest: str, public_value: str) -> bytes:
    """HMAC-SHA256 keyed with the 32 seed bytes over "yunlou-lottery-v1\\n" + digest + "\\n" + public value."""
    message = f"{ALGORITHM}\n{digest}\n".encode("ascii") + _public_value_bytes(public_value)
    return hmac.new(bytes.fromhex(_seed_text(seed)), message, hashlib.sha256).digest()


def word_stream(key: bytes) -> Callable[[], int]:
    """Word i is the first 8 bytes (big-endian) of HMAC-SHA256(key, i as 8 bytes big-endian), i from 0."""
    counter = 0

    def next_word() -> int:
        nonlocal counter
        block = hmac.new(key, counter.to_bytes(8, "big"), hashlib.sha256).digest()
        counter += 1
        return int.from_bytes(block[:WORD_BITS // 8], "big")

    return next_word


def uniform_index(bound: int, next_word: Callable[[], int], *, bits: int = WORD_BITS) -> int:
    """An index in range(bound), each equally likely when the words are: `word mod bound` alone would favour
    the small indexes whenever bound does not divide 2**bits, so words from the incomplete last band
    (>= 2**bits - 2**bits mod bound) are refused and the next word is taken."""
    if bound < 1:
        raise ValueError("bound must be at least 1")
    span = 1 << bits
    limit = span - span % bound
    while True:
        word = next_word()
        if word < limit:
            return word % bound


def shuffle(items: Sequence[str], next_word: Callable[[], int]) -> list[str]:
    """Fisher–Yates (Durstenfeld): for i from n-1 down to 1, swap item i with item uniform_index(i+1)."""
    order = list(items)
    for i in range(len(order) - 1, 0, -1):
        j = uniform_index(i + 1, next_word)
        order[i], order[j] = order[j], order[i]
    return order


@dataclass(frozen=True)
class Published:
    """What is published about a draw, as a member of the public copies it to the verify page."""

    pledge_numbers: Sequence[str]
    seed: str
    public_value: str
    list_digest: str
    seed_commitment: str
    order: Sequence[str]


@dataclass(frozen=True)
class DrawResult:
    order: list[str]  # order[0] holds place 1
    list_digest: str
    seed_commitment: str
    seed: str
    public_value: str
    algorithm: str = ALGORITHM

    @property
    def places(self) -> list[tuple[int, str]]:
        return list(enumerate(self.order, start=1))

    def published(self) -> Published:
        return Published(pledge_numbers=sorted(self.order), seed=self.seed, public_value=self.public_value,
                         list_digest=self.list_digest, seed_commitment=self.seed_commitment, order=self.order)


def draw(pledge_numbers: Iterable[str], seed: str, public_value: str) -> DrawResult:
    """The order of the pledges, place 1 first. The same list (in any order), seed and public value always
    give the same order."""
    numbers = list(pledge_numbers)
    digest = list_digest(numbers)
    key = draw_key(seed=seed, digest=digest, public_value=public_value)
    order = shuffle(sorted(numbers), word_stream(key))
    return DrawResult(order=order, list_digest=digest, seed_commitment=seed_commitment(seed),
                      seed=_seed_text(seed), public_value=public_value)


# Verification ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Mismatch:
    code: str  # list_invalid, list_changed, seed_invalid, seed_mismatch, public_value_invalid, order_differs
    message: str
    place: int | None = None
    expected: str | None = None
    claimed: str | None = None


@dataclass(frozen=True)
class Verification:
    mismatches: list[Mismatch] = field(default_factory=list)
    order: list[str] | None = None  # the order the published inputs give, when they can be drawn at all

    @property
    def is_valid(self) -> bool:
        return not self.mismatches

    @property
    def codes(self) -> list[str]:
        return [mismatch.code for mismatch in self.mismatches]


def verify(published: Published) -> Verification:
    """Re-run the draw from the published inputs and name every claim that does not hold: the list is not the
    one whose digest was published, the seed is not the one committed to, or the order differs (from which
    place)."""
    mismatches: list[Mismatch] = []
    digest = seed_text = None
    try:
        digest = list_digest(published.pledge_numbers)
    except ValidationFailed as error:
        mismatches.append(Mismatch("list_invalid", str(error.message)))
    else:
        if digest != published.list_digest.strip().lower():
            mismatches.append(Mismatch(
                "list_changed",
                _("The list of pledges is not the one whose fingerprint (SHA-256) was published before the draw: "
                  "it was changed after it was frozen."),
                expected=published.list_digest, claimed=digest))
    try:
        seed_text = _seed_text(published.seed)
    except ValidationFailed as error:
        mismatches.append(Mismatch("seed_invalid", str(error.message)))
    else:
        commitment = seed_commitment(seed_text)
        if commitment != published.seed_commitment.strip().lower():
            mismatches.append(Mismatch(
                "seed_mismatch",
                _("The revealed seed is not the one whose fingerprint (SHA-256) was published before the draw."),
                expected=published.seed_commitment, claimed=commitment))
    try:
        _public_value_bytes(published.public_value)
    except ValidationFailed as error:
        mismatches.append(Mismatch("public_value_invalid", str(error.message)))
        return Verification(mismatches)
    if digest is None or seed_text is None:
        return Verification(mismatches)
    order = shuffle(sorted(published.pledge_numbers),
                    word_stream(draw_key(seed=seed_text, digest=digest, public_value=published.public_value)))
    difference = _first_difference(order, list(published.order))
    if difference:
        mismatches.append(difference)
    return Verification(mismatches, order=order)


def _first_difference(order: list[str], claimed: list[str]) -> Mismatch | None:
    for place, (expected_number, claimed_number) in enumerate(zip(order, claimed, strict=False), start=1):
        if expected_number != claimed_number:
            return Mismatch(
                "order_differs",
                _("The order differs from place %(place)s: the draw gives %(expected)s, the published order has "
                  "%(claimed)s.") % {"place": place, "expected": expected_number, "claimed": claimed_number},
                place=place, expected=expected_number, claimed=claimed_number)
    if len(order) != len(claimed):
        return Mismatch(
            "order_differs",
            _("The published order has %(claimed)s places; the draw gives %(expected)s.")
            % {"claimed": len(claimed), "expected": len(order)},
            place=min(len(order), len(claimed)) + 1)
    return None


# An order drawn elsewhere ---------------------------------------------------------------------------------

def _place_value(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):  # a spreadsheet's 3.0; NaN and infinity are not places
        try:
            return int(value) if value % 1 == 0 else None
        except (ArithmeticError, ValueError):
            return None
    if isinstance(value, str) and re.fullmatch(r"[0-9]+", value.strip()):
        return int(value.strip())
    return None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_external_order(rows: Sequence[Sequence[Any]], *, eligible: Iterable[str], first_row: int = 1) -> list[str]:
    """The order given as rows of (place, pledge number) by a system outside Yunlou, checked against the frozen
    eligible list: every eligible pledge exactly once, places 1..n each exactly once. `first_row` is the
    file's row number of rows[0], so problems point at the row as the manager sees it. All-or-nothing: one
    ImportRejected lists every problem as {"row", "column", "message"}. Blank rows are skipped."""
    eligible_numbers = set(eligible)
    count = len(eligible_numbers)
    place_column, number_column = _("Place"), _("Pledge number")
    errors: list[dict[str, Any]] = []
    row_of_place: dict[int, int] = {}
    row_of_number: dict[str, int] = {}
    for row, values in enumerate(rows, start=first_row):
        raw_place, raw_number = (*values, None, None)[:2]
        if _blank(raw_place) and _blank(raw_number):
            continue
        place = _place_value(raw_place)
        if place is None or not 1 <= place <= count:
            errors.append({"row": row, "column": place_column,
                           "message": _("The place must be a whole number from 1 to %(count)s.") % {"count": count}})
        elif place in row_of_place:
            errors.append({"row": row, "column": place_column,
                           "message": _("Place %(place)s is also given in row %(row)s.")
                           % {"place": place, "row": row_of_place[place]}})
        else:
            row_of_place[place] = row
        number = "" if raw_number is None else str(raw_number).strip()
        if not number:
            errors.append({"row": row, "column": number_column, "message": _("The pledge number is missing.")})
        elif number not in eligible_numbers:
            errors.append({"row": row, "column": number_column,
                           "message": _("%(number)s is not a pledge on the eligible list.") % {"number": number}})
        elif number in row_of_number:
            errors.append({"row": row, "column": number_column,
                           "message": _("%(number)s is also placed in row %(row)s.")
                           % {"number": number, "row": row_of_number[number]}})
        else:
            row_of_number[number] = row
    for number in sorted(eligible_numbers - row_of_number.keys()):
        errors.append({"row": None, "column": number_column,
                       "message": _("%(number)s is on the eligible list but has no place.") % {"number": number}})
    for place in range(1, count + 1):
        if place not in row_of_place:
            errors.append({"row": None, "column": place_column,
                           "message": _("No row gives place %(place)s.") % {"place": place}})
    if errors:
        raise ImportRejected(
            _("Nothing was imported: %(count)s problems in the lottery result.") % {"count": len(errors)},
            field="file", details=errors)
    numbers_by_row = {row: number for number, row in row_of_number.items()}
    return [numbers_by_row[row_of_place[place]] for place in range(1, count + 1)]


# Flags for the manager ------------------------------------------------------------------------------------

class LotteryPledge(Protocol):
    """What `anomalies` reads of a pledge; the blind indexes are opaque (keyed hashes), compared only for
    equality, never shown."""

    number: str
    phone_index: str
    id_number_index: str


@dataclass(frozen=True)
class Anomaly:
    kind: str  # consecutive_numbers, shared_phone, shared_id_number
    places: tuple[int, ...]
    pledge_numbers: tuple[str, ...]
    reason: str


def anomalies(order: Sequence[str], *, pledges_by_number: Mapping[str, LotteryPledge], first_places: int = 10,
              run_length: int = 3) -> list[Anomaly]:
    """Winners worth a second look before the order is confirmed — signs, not proof, of a rigged draw:

    - `run_length` or more consecutive pledge numbers (same prefix, numeric suffix n, n+1, …) all among the
      first `first_places` places, wherever they sit among them: blocks of pledges taken out together are how
      an insider would stack the draw. With few pledges this also happens by chance.
    - two or more of those winners sharing a phone or an ID number (through their blind indexes): one buyer
      behind several pledges.
    """
    winners = list(enumerate(order[:first_places], start=1))
    found: list[Anomaly] = []
    suffixes: dict[str, dict[int, tuple[int, str]]] = defaultdict(dict)
    for place, number in winners:
        match = _NUMERIC_SUFFIX.match(number)
        if match:
            suffixes[match[1]][int(match[2])] = (place, number)
    for prefix in sorted(suffixes):
        by_value = suffixes[prefix]
        values = sorted(by_value)
        start = 0
        for end in range(1, len(values) + 1):
            if end == len(values) or values[end] != values[end - 1] + 1:
                if end - start >= run_length:
                    run = [by_value[value] for value in values[start:end]]
                    found.append(Anomaly(
                        "consecutive_numbers", tuple(place for place, _number in run),
                        tuple(number for _place, number in run),
                        _("%(count)s consecutive pledge numbers, %(first)s to %(last)s, are all among the first "
                          "%(places)s places.")
                        % {"count": len(run), "first": run[0][1], "last": run[-1][1], "places": first_places}))
                start = end
    for kind, attribute, reason in (
            ("shared_phone", "phone_index", _("Places %(places)s (pledges %(numbers)s) share one phone number.")),
            ("shared_id_number", "id_number_index",
             _("Places %(places)s (pledges %(numbers)s) share one ID number."))):
        groups: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for place, number in winners:
            pledge = pledges_by_number.get(number)
            index = getattr(pledge, attribute, None) if pledge is not None else None
            if index:
                groups[index].append((place, number))
        for group in groups.values():
            if len(group) > 1:
                places = tuple(place for place, _number in group)
                numbers = tuple(number for _place, number in group)
                found.append(Anomaly(kind, places, numbers, reason % {
                    "places": ", ".join(str(place) for place in places), "numbers": ", ".join(numbers)}))
    return found
