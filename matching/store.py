"""A built index written to a directory once and memory-mapped by every process.

``save_index`` writes every column of a :class:`CandidateIndex` as a ``.npy`` file and
the few small Python values (key spaces, labels, group ids) as ``meta.json``;
``load_index`` maps the columns read-only (``np.load(mmap_mode="r")``), so any number
of processes share one copy of the arrays through the page cache, and loading costs
milliseconds instead of a build. A loaded index holds no Python object per candidate:
``index.candidates[p]`` and ``index.position_of[id]`` are computed from the columns on
demand (only the returned matches ask). Candidate ids must be whole numbers to be
stored; names and other per-candidate text are packed into one byte column
(:class:`PackedStrings`).
"""

from __future__ import annotations

import functools
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from matching.index import CandidateIndex, KeySpace, join_words
from matching.preferences import PERSON_GROUP_SLUGS, PET_SLUGS, SUPPORT_KIND_SLUGS
from matching.types import Candidate, CandidateId
from matching.vocabulary import DEFAULT_VOCABULARY, Vocabulary

# 2: both sides' preferences (pets, smoking, kinds of support, who they support).
STORE_FORMAT = 2
# Decoded candidates kept per loaded index (so per catalog version), most recently used
# first: the carers people find are asked for again and again (by rank(), by each
# explanation, by the page), and decoding one is a few dozen column reads and a JSON
# parse. Bounded, so a worker's memory does not grow with the catalog.
DECODED_CACHE_SIZE = 4096
_ARRAYS = (
    "keys",
    "lat_rad",
    "lon_rad",
    "cos_lat",
    "travel_radius_km",
    "active",
    "quality_assured",
    "hourly_rate_pence",
    "gender",
    "provider",
    "team",
    "tie_rank",
    "interests_listed",
    "languages_listed",
    "availability_known",
    "team_tie_rank",
    "pets_ok",
    "pets_known",
    "smoking_ok",
    "enjoys_support",
    "would_support",
)
_WORDS = ("skills", "interests", "languages", "availability")
_SPACES = ("skill_space", "interest_space", "language_space", "availability_space")


def pack_strings(values: Sequence[Any]) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """JSON values (text, numbers, lists, None) as one byte column and its offsets."""
    parts = [json.dumps(value, ensure_ascii=False).encode() for value in values]
    offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    if parts:
        offsets[1:] = np.cumsum([len(part) for part in parts])
    return np.frombuffer(b"".join(parts), dtype=np.uint8).copy(), offsets


class PackedStrings(Sequence[Any]):
    """The values of :func:`pack_strings`, each decoded when it is read."""

    def __init__(self, blob: npt.NDArray[np.uint8], offsets: npt.NDArray[np.int64]) -> None:
        self.blob = blob
        self.offsets = offsets

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @overload
    def __getitem__(self, i: int) -> Any: ...
    @overload
    def __getitem__(self, i: slice) -> list[Any]: ...
    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        start, end = int(self.offsets[i]), int(self.offsets[i + 1])
        return json.loads(self.blob[start:end].tobytes())


class PositionMap(Mapping[CandidateId, int]):
    """Candidate id -> position, by binary search over the sorted id column."""

    def __init__(self, sorted_ids: npt.NDArray[np.int64], order: npt.NDArray[np.int64]) -> None:
        self.sorted_ids = sorted_ids
        self.order = order
        self._cached = functools.lru_cache(maxsize=DECODED_CACHE_SIZE)(self._search)

    def _find(self, key: object) -> int | None:
        if isinstance(key, bool) or not isinstance(key, int | np.integer):
            return None
        return self._cached(int(key))

    def _search(self, key: int) -> int | None:
        i = int(np.searchsorted(self.sorted_ids, key))
        if i < len(self.sorted_ids) and int(self.sorted_ids[i]) == key:
            return int(self.order[i])
        return None

    def __getitem__(self, key: CandidateId) -> int:
        found = self._find(key)
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        return self._find(key) is not None

    def __iter__(self) -> Iterator[CandidateId]:
        return (int(i) for i in self.sorted_ids)

    def __len__(self) -> int:
        return len(self.sorted_ids)


class StoredCandidates(Sequence[Candidate]):
    """``index.candidates`` of a loaded index: each Candidate rebuilt from the columns.

    Skills, interests and languages come back as the index's keys (vocabulary slugs, or
    the cleaned text of custom ones), gender as its cleaned text.
    """

    def __init__(self, index: CandidateIndex, ids: npt.NDArray[np.int64], names: PackedStrings):
        self.source = index
        self.ids = ids
        self.names = names
        self.gender_of = {code: text for text, code in index.gender_code_of.items()}
        # Candidates are frozen, and this index never changes: safe to share.
        self._cached = functools.lru_cache(maxsize=DECODED_CACHE_SIZE)(self._decode)

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, p: int) -> Candidate: ...
    @overload
    def __getitem__(self, p: slice) -> list[Candidate]: ...
    def __getitem__(self, p: int | slice) -> Candidate | list[Candidate]:
        if isinstance(p, slice):
            return [self[q] for q in range(*p.indices(len(self)))]
        if p < 0:
            p += len(self)
        if not 0 <= p < len(self):
            raise IndexError(p)
        return self._cached(int(p))

    def _decode(self, p: int) -> Candidate:
        index = self.source
        rate = int(index.hourly_rate_pence[p])
        smoking = int(index.smoking_ok[p])
        provider = int(index.provider[p])
        team = int(index.team[p])
        return Candidate(
            id=int(self.ids[p]),
            lat=math.degrees(float(index.lat_rad[p])),
            lon=math.degrees(float(index.lon_rad[p])),
            travel_radius_km=float(index.travel_radius_km[p]),
            skills=frozenset(index.skill_space.decode(join_words(index.skills, p))),
            interests=tuple(index.interest_space.decode(join_words(index.interests, p))),
            languages=frozenset(index.language_space.decode(join_words(index.languages, p))),
            gender=self.gender_of.get(int(index.gender[p])),
            hourly_rate_pence=None if rate < 0 else rate,
            availability=(
                frozenset(index.availability_space.decode(join_words(index.availability, p)))
                if index.availability_known[p]
                else None
            ),
            provider_id=index.provider_ids[provider] if provider >= 0 else None,
            team_id=index.team_ids[team] if team >= 0 else None,
            quality_assured=bool(index.quality_assured[p]),
            active=bool(index.active[p]),
            name=self.names[p],
            pets_ok=_terms(int(index.pets_ok[p]), PET_SLUGS) if index.pets_known[p] else None,
            smoking_ok=None if smoking < 0 else bool(smoking),
            enjoys_support=_terms(int(index.enjoys_support[p]), SUPPORT_KIND_SLUGS),
            would_support=_terms(int(index.would_support[p]), PERSON_GROUP_SLUGS),
        )


def _terms(bits: int, slugs: Sequence[str]) -> frozenset[str]:
    return frozenset(slug for i, slug in enumerate(slugs) if bits >> i & 1)


def _save(directory: Path, name: str, array: npt.NDArray[Any]) -> None:
    np.save(directory / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)


def save_index(index: CandidateIndex, directory: str | Path) -> None:
    """Write ``index`` into ``directory`` (which must not exist yet), atomically: the
    files go to a temporary sibling first, renamed into place when complete."""
    target = Path(directory)
    ids = [c.id for c in index.candidates]
    if any(isinstance(i, bool) or not isinstance(i, int) for i in ids):
        raise ValueError("only an index whose candidate ids are whole numbers can be stored")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".writing-", dir=target.parent))
    try:
        for name in _ARRAYS:
            _save(tmp, name, getattr(index, name))
        for name in _WORDS:
            columns = getattr(index, name)
            _save(tmp, name, np.stack(columns) if columns else np.zeros((0, index.size)))
        id_array = np.asarray(ids, dtype=np.int64)
        order = np.argsort(id_array, kind="stable").astype(np.int64)
        _save(tmp, "ids", id_array)
        _save(tmp, "id_order", order)
        _save(tmp, "sorted_ids", id_array[order])
        blob, offsets = pack_strings([c.name for c in index.candidates])
        _save(tmp, "names_blob", blob)
        _save(tmp, "names_offsets", offsets)
        meta = {
            "format": STORE_FORMAT,
            "size": index.size,
            "spaces": {name: getattr(index, name).keys for name in _SPACES},
            "custom_labels": index.custom_labels,
            "gender_code_of": index.gender_code_of,
            "provider_ids": index.provider_ids,
            "team_ids": index.team_ids,
            "counts": [index.inactive_count, index.not_quality_assured_count, index.listed_count],
        }
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False))
        os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _map(directory: Path, name: str) -> npt.NDArray[Any]:
    # np.asarray: a plain read-only ndarray view of the mapping (faster to index).
    return np.asarray(np.load(directory / f"{name}.npy", mmap_mode="r", allow_pickle=False))


def load_index(
    directory: str | Path, vocabulary: Vocabulary = DEFAULT_VOCABULARY
) -> CandidateIndex:
    """The index saved in ``directory``, its columns memory-mapped read-only."""
    source = Path(directory)
    meta = json.loads((source / "meta.json").read_text())
    if meta.get("format") != STORE_FORMAT:
        raise ValueError(f"{source} holds a stored index of another format")
    index = CandidateIndex.__new__(CandidateIndex)
    index.vocabulary = vocabulary
    index.size = int(meta["size"])
    for name in _ARRAYS:
        setattr(index, name, _map(source, name))
    for name in _WORDS:
        stacked = _map(source, name)
        setattr(index, name, [stacked[w] for w in range(stacked.shape[0])])
    for name in _SPACES:
        setattr(index, name, KeySpace(meta["spaces"][name]))
    index.custom_labels = dict(meta["custom_labels"])
    index.gender_code_of = {k: int(v) for k, v in meta["gender_code_of"].items()}
    index.provider_ids = list(meta["provider_ids"])
    index.team_ids = list(meta["team_ids"])
    index.team_count = len(index.team_ids)
    index.inactive_count, index.not_quality_assured_count, index.listed_count = meta["counts"]
    names = PackedStrings(_map(source, "names_blob"), _map(source, "names_offsets"))
    index.candidates = StoredCandidates(index, _map(source, "ids"), names)
    index.position_of = PositionMap(_map(source, "sorted_ids"), _map(source, "id_order"))
    return index
