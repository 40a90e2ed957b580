"""A vectorised, read-only index of candidates.

Candidates are stored column-wise in numpy arrays, sorted by a grid key (rows
of ``ROW_DEG`` latitude, then longitude) so that a spatial window is a handful
of contiguous slices found with ``searchsorted``. Skills, interests, languages
and availability become bitsets (one ``uint64`` column per 64 keys). All free
text is normalised here, once, so ranking never touches it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from matching.preferences import PERSON_GROUP_SLUGS, PET_SLUGS, SUPPORT_KIND_SLUGS
from matching.signals import BoolArray, FloatArray, IntArray
from matching.types import Candidate, CandidateId, GroupId
from matching.vocabulary import DEFAULT_VOCABULARY, Kind, Vocabulary, clean, stem_phrase

# Label tuples kept per index by CandidateIndex.labelled (all kinds together).
LABELLED_KEPT = 8192

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180.0
ROW_DEG = 0.1
# Row keys are spaced wider than 360 so that lon = 180 never collides with the next row.
_ROW_SPAN = 400.0

_SEPARATORS = re.compile(r"[,;/\n]+")

Words = list[npt.NDArray[np.uint64]]


class KeySpace:
    """Assigns each distinct key (slug or custom text) a bit position."""

    def __init__(self, first: Iterable[str] = ()) -> None:
        self.keys: list[str] = []
        self.bit_of: dict[str, int] = {}
        for key in first:
            self.add(key)

    def add(self, key: str) -> int:
        """The bit for ``key``, assigning the next one if it is new."""
        bit = self.bit_of.get(key)
        if bit is None:
            bit = len(self.keys)
            self.bit_of[key] = bit
            self.keys.append(key)
        return bit

    @property
    def words(self) -> int:
        """How many 64-bit words a bitset over this space needs."""
        return max(1, (len(self.keys) + 63) // 64)

    def mask(self, keys: Iterable[str]) -> int:
        """A Python-int bitset of the known ``keys`` (unknown keys are ignored)."""
        value = 0
        for key in keys:
            bit = self.bit_of.get(key)
            if bit is not None:
                value |= 1 << bit
        return value

    def decode(self, value: int) -> list[str]:
        """The keys set in ``value``, in bit order."""
        found = []
        bit = 0
        while value:
            if value & 1:
                found.append(self.keys[bit])
            value >>= 1
            bit += 1
        return found


def split_words(value: int, words: int) -> list[np.uint64]:
    """A Python-int bitset as ``words`` 64-bit words, least significant first."""
    return [np.uint64((value >> (64 * w)) & 0xFFFFFFFFFFFFFFFF) for w in range(words)]


def _to_words(values: Sequence[int], words: int, order: IntArray) -> Words:
    columns: Words = []
    for w in range(words):
        shift = 64 * w
        column = np.fromiter(
            ((v >> shift) & 0xFFFFFFFFFFFFFFFF for v in values), dtype=np.uint64, count=len(values)
        )
        columns.append(column[order])
    return columns


def join_words(columns: Words, position: int) -> int:
    """The bitset stored at ``position`` as one Python int."""
    value = 0
    for w, column in enumerate(columns):
        value |= int(column[position]) << (64 * w)
    return value


def split_terms(text: str) -> list[str]:
    """Free text such as "gardening, football" as separate non-empty terms."""
    return [part for part in _SEPARATORS.split(text) if stem_phrase(part)]


def term_bits(values: Iterable[str] | None, slugs: Sequence[str]) -> int:
    """A closed vocabulary's terms as bits, in the vocabulary's order (bit 0: the first)."""
    value = 0
    for term in values or ():
        value |= 1 << slugs.index(term)
    return value


def _bit_column(
    groups: Sequence[AbstractSet[str] | None], slugs: Sequence[str], dtype: type[np.unsignedinteger]
) -> npt.NDArray[np.unsignedinteger]:
    cache: dict[AbstractSet[str] | None, int] = {}
    values = []
    for group in groups:
        value = cache.get(group)
        if value is None:
            value = cache[group] = term_bits(group, slugs)
        values.append(value)
    return np.asarray(values, dtype=dtype)


def grid_key(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """Sort key: latitude row first, then longitude within the row."""
    return np.floor(lat / ROW_DEG) * _ROW_SPAN + (lon + 180.0)


def _group_codes(values: Sequence[GroupId | None]) -> tuple[npt.NDArray[np.int32], list[GroupId]]:
    ids: list[GroupId] = []
    code_of: dict[GroupId, int] = {}
    codes = np.empty(len(values), dtype=np.int32)
    for i, value in enumerate(values):
        if value is None:
            codes[i] = -1
            continue
        code = code_of.get(value)
        if code is None:
            code = code_of[value] = len(ids)
            ids.append(value)
        codes[i] = code
    return codes, ids


def _tie_ranks(ids: Sequence[CandidateId]) -> IntArray:
    """A stable rank for every id: numeric or alphabetical order, by type when mixed."""
    order: list[int]
    try:
        order = sorted(range(len(ids)), key=ids.__getitem__)
    except TypeError:
        # Mixed types: numbers before strings ("int" < "str"), each in its own natural order.
        order = sorted(range(len(ids)), key=lambda i: (type(ids[i]).__name__, ids[i]))
    ranks = np.empty(len(ids), dtype=np.int64)
    ranks[np.asarray(order, dtype=np.int64)] = np.arange(len(ids), dtype=np.int64)
    return ranks


class CandidateIndex:
    """Column arrays for every candidate, sorted by grid key. Build with ``build_index``."""

    def __init__(self, candidates: Iterable[Candidate], vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        given = list(candidates)
        position_of: dict[CandidateId, int] = {}
        for i, candidate in enumerate(given):
            if not isinstance(candidate, Candidate):
                raise ValueError(f"candidates[{i}] must be a Candidate, not {type(candidate)!r}")
            candidate.validate()
            if candidate.id in position_of:
                raise ValueError(f"candidate id {candidate.id!r} appears more than once")
            position_of[candidate.id] = i
        n = len(given)
        self.size = n

        lat = np.fromiter((c.lat for c in given), dtype=np.float64, count=n)
        lon = np.fromiter((c.lon for c in given), dtype=np.float64, count=n)
        keys = grid_key(lat, lon)
        order = np.argsort(keys, kind="stable").astype(np.int64)
        self.keys: FloatArray = keys[order]
        # (A loaded index, matching.store, computes these two from its columns instead.)
        self.candidates: Sequence[Candidate] = tuple(given[i] for i in order.tolist())
        self.position_of: Mapping[CandidateId, int] = {
            c.id: p for p, c in enumerate(self.candidates)
        }
        self.lat_rad: FloatArray = np.radians(lat[order])
        self.lon_rad: FloatArray = np.radians(lon[order])
        self.cos_lat: FloatArray = np.cos(self.lat_rad)
        self.travel_radius_km: FloatArray = np.fromiter(
            (c.travel_radius_km for c in given), dtype=np.float64, count=n
        )[order]
        self.active: BoolArray = np.fromiter((c.active for c in given), dtype=bool, count=n)[order]
        self.quality_assured: BoolArray = np.fromiter(
            (c.quality_assured for c in given), dtype=bool, count=n
        )[order]
        self.hourly_rate_pence: IntArray = np.fromiter(
            (-1 if c.hourly_rate_pence is None else c.hourly_rate_pence for c in given),
            dtype=np.int64,
            count=n,
        )[order]
        self.gender_code_of: dict[str, int] = {}
        self.gender: npt.NDArray[np.int16] = np.fromiter(
            (self._gender_code(c.gender) for c in given), dtype=np.int16, count=n
        )[order]
        provider_codes, self.provider_ids = _group_codes([c.provider_id for c in given])
        self.provider: npt.NDArray[np.int32] = provider_codes[order]
        team_codes, self.team_ids = _group_codes([c.team_id for c in given])
        self.team: npt.NDArray[np.int32] = team_codes[order]
        self.tie_rank: IntArray = _tie_ranks([c.id for c in given])[order]

        self.custom_labels: dict[str, str] = {}
        self.skill_space = KeySpace(vocabulary.skills)
        self.interest_space = KeySpace(vocabulary.interests)
        self.language_space = KeySpace(vocabulary.languages)
        self.availability_space = KeySpace()
        skill_bits = self._encode([c.skills for c in given], "skills", self.skill_space)
        interest_bits = self._encode([c.interests for c in given], "interests", self.interest_space)
        language_bits = self._encode([c.languages for c in given], "languages", self.language_space)
        availability_bits = self._encode_slots([c.availability for c in given])
        self.skills = _to_words(skill_bits, self.skill_space.words, order)
        self.interests = _to_words(interest_bits, self.interest_space.words, order)
        self.languages = _to_words(language_bits, self.language_space.words, order)
        self.availability = _to_words(availability_bits, self.availability_space.words, order)
        self.interests_listed: BoolArray = np.fromiter(
            (v != 0 for v in interest_bits), dtype=bool, count=n
        )[order]
        self.languages_listed: BoolArray = np.fromiter(
            (v != 0 for v in language_bits), dtype=bool, count=n
        )[order]
        self.availability_known: BoolArray = np.fromiter(
            (c.availability is not None for c in given), dtype=bool, count=n
        )[order]
        # Both sides' preferences, one small bitset per candidate over each closed
        # vocabulary (matching.preferences): the pets they are happy with (with whether
        # they said), smoking (-1 not said, 0 no, 1 yes), the kinds of support they enjoy
        # and who they would like to support (0: not said).
        self.pets_ok: npt.NDArray[np.uint8] = _bit_column(
            [c.pets_ok for c in given], PET_SLUGS, np.uint8
        )[order]
        self.pets_known: BoolArray = np.fromiter(
            (c.pets_ok is not None for c in given), dtype=bool, count=n
        )[order]
        self.smoking_ok: npt.NDArray[np.int8] = np.fromiter(
            (-1 if c.smoking_ok is None else int(c.smoking_ok) for c in given),
            dtype=np.int8,
            count=n,
        )[order]
        self.enjoys_support: npt.NDArray[np.uint16] = _bit_column(
            [c.enjoys_support for c in given], SUPPORT_KIND_SLUGS, np.uint16
        )[order]
        self.would_support: npt.NDArray[np.uint16] = _bit_column(
            [c.would_support for c in given], PERSON_GROUP_SLUGS, np.uint16
        )[order]

        self.inactive_count = int(np.count_nonzero(~self.active))
        self.not_quality_assured_count = int(np.count_nonzero(self.active & ~self.quality_assured))
        self.listed_count = n - self.inactive_count - self.not_quality_assured_count
        self.team_count = len(self.team_ids)
        self.team_tie_rank: IntArray = _tie_ranks(self.team_ids)

    def _gender_code(self, gender: str | None) -> int:
        if gender is None:
            return -1
        return self.gender_code_of.setdefault(clean(gender), len(self.gender_code_of))

    def label(self, kind: Kind, key: str) -> str:
        """How to show ``key`` in a sentence: the vocabulary label, or the text as written."""
        # Kept per index (every explanation asks for the same few labels); a loaded index
        # is made without __init__, so the dict is made on first use.
        cache = self.__dict__.setdefault("_label_cache", {})
        found: str | None = cache.get((kind, key))
        if found is None:
            if key in self.vocabulary.terms(kind):
                found = self.vocabulary.label(kind, key)
            else:
                found = self.custom_labels.get(key, key)
            cache[(kind, key)] = found
        return found

    def labelled(self, kind: Kind, value: int) -> tuple[str, ...]:
        """The labels (``label``) of the ``kind`` keys set in the bitset ``value``, in bit
        order. Kept per index, so per catalog version (carers' sets of skills and
        interests repeat, and so do the parts a search picks of them), for at most
        ``LABELLED_KEPT`` values of each kind."""
        kept = self.__dict__.setdefault("_labelled_cache", {})
        found: tuple[str, ...] | None = kept.get((kind, value))
        if found is None:
            space = {
                "skills": self.skill_space,
                "interests": self.interest_space,
                "languages": self.language_space,
            }[kind]
            found = tuple(self.label(kind, key) for key in space.decode(value))
            if len(kept) >= LABELLED_KEPT:
                kept.clear()
            kept[(kind, value)] = found
        return found

    def gender_code(self, gender: str) -> int:
        """The stored code for ``gender``; -2 when no candidate has it."""
        return self.gender_code_of.get(clean(gender), -2)

    def key_for(self, text: str, kind: Kind) -> str:
        """The slug for ``text``, or its cleaned, stemmed form when it is not in the vocabulary."""
        slug = self.vocabulary.normalise(text, kind)
        if slug is not None:
            return slug
        return stem_phrase(text)

    def nearest_interest(self, key: str) -> str:
        """``key``, or the closest custom interest some candidate wrote, for typos in free text."""
        if key in self.interest_space.bit_of:
            return key
        if len(key) >= 5:
            custom = self.interest_space.keys[len(self.vocabulary.interests) :]
            best = process.extractOne(key, custom, scorer=fuzz.ratio, score_cutoff=88.0)
            if best is not None:
                return str(best[0])
        return key

    def _encode(self, groups: Sequence[Iterable[str]], kind: Kind, space: KeySpace) -> list[int]:
        # Candidates often share the very same set object; normalise each distinct one once.
        # Distinct texts are far fewer than candidates, so each text is also normalised once.
        cache: dict[object, int] = {}
        text_bits: dict[str, int] = {}
        values = []
        for group in groups:
            cache_key: object = group if isinstance(group, frozenset | tuple) else tuple(group)
            value = cache.get(cache_key)
            if value is None:
                value = 0
                for text in group:
                    bits = text_bits.get(text)
                    if bits is None:
                        bits = 0
                        for part in split_terms(text):
                            key = self.key_for(part, kind)
                            # Custom (non-vocabulary) keys are stemmed; remember how they were
                            # written.
                            self.custom_labels.setdefault(key, clean(part))
                            bits |= 1 << space.add(key)
                        text_bits[text] = bits
                    value |= bits
                cache[cache_key] = value
            values.append(value)
        return values

    def _encode_slots(self, groups: Sequence[AbstractSet[str] | None]) -> list[int]:
        cache: dict[AbstractSet[str] | None, int] = {}
        values = []
        for group in groups:
            value = cache.get(group)
            if value is None:
                value = 0
                for slot in group or ():
                    value |= 1 << self.availability_space.add(slot.strip().lower())
                cache[group] = value
            values.append(value)
        return values

    def window(self, lat: float, lon: float, radius_km: float) -> IntArray:
        """Positions of candidates inside a lat/lon box that contains the ``radius_km`` circle."""
        dlat = radius_km / KM_PER_DEGREE + 1e-9
        lat_lo, lat_hi = max(lat - dlat, -90.0), min(lat + dlat, 90.0)
        rows = np.arange(math.floor(lat_lo / ROW_DEG), math.floor(lat_hi / ROW_DEG) + 1)
        edge = max(abs(lat_lo), abs(lat_hi))
        cos_edge = math.cos(math.radians(edge)) if edge < 89.9 else 0.0
        dlon = radius_km / (KM_PER_DEGREE * cos_edge) + 1e-9 if cos_edge > 0 else 360.0
        lon_lo, lon_hi = lon - dlon, lon + dlon
        if lon_lo < -180.0 or lon_hi > 180.0:
            # The box wraps the antimeridian (or a pole): take whole rows.
            lon_lo, lon_hi = -180.0, 180.0
        base = rows * _ROW_SPAN
        starts = np.searchsorted(self.keys, base + (lon_lo + 180.0), side="left")
        ends = np.searchsorted(self.keys, base + (lon_hi + 180.0), side="right")
        segments = [(s, e) for s, e in zip(starts.tolist(), ends.tolist(), strict=True) if e > s]
        if not segments:
            return np.empty(0, dtype=np.int64)
        if len(segments) == 1:
            return np.arange(segments[0][0], segments[0][1], dtype=np.int64)
        return np.concatenate([np.arange(s, e, dtype=np.int64) for s, e in segments])

    def distances_km(self, positions: IntArray, lat: float, lon: float) -> FloatArray:
        """Great-circle (haversine) distance from (lat, lon) to each position."""
        lat0, lon0 = math.radians(lat), math.radians(lon)
        half_dlat = np.sin((self.lat_rad[positions] - lat0) * 0.5)
        half_dlon = np.sin((self.lon_rad[positions] - lon0) * 0.5)
        h = half_dlat * half_dlat + math.cos(lat0) * self.cos_lat[positions] * half_dlon * half_dlon
        return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(h, 1.0)))

    def nbytes(self) -> int:
        """Bytes held by the numpy arrays (excludes the candidate objects themselves)."""
        arrays = [value for value in vars(self).values() if isinstance(value, np.ndarray)]
        for columns in (self.skills, self.interests, self.languages, self.availability):
            arrays.extend(columns)
        return sum(a.nbytes for a in arrays)


def build_index(
    candidates: Iterable[Candidate], vocabulary: Vocabulary = DEFAULT_VOCABULARY
) -> CandidateIndex:
    """Validate and normalise ``candidates`` once, into a vectorised index for ``rank``."""
    return CandidateIndex(candidates, vocabulary)
