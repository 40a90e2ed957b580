"""Offline UK postcode geocoder.

Turns whatever a person types ("ls61aa", " LS6  1AA ", "LS6") into a normalised
postcode, a map position and the council with adult social care responsibility,
without touching the network.

Data: ``marketplace/data/`` (see ``SOURCES.md`` there for sources, columns and the
attribution the app must show). The 2.7 million row ``uk_postcodes.csv.gz`` is turned,
once, into a few flat numpy arrays in a cache directory and then memory-mapped, so
every gunicorn worker shares the same physical pages through the page cache:

* ``keys.npy``  int64, sorted: postcode packed as a base-37 number (see ``_pack``)
* ``lat.npy`` / ``lon.npy``  int32, degrees x 1e5 (``NO_COORD`` when unknown)
* ``care.npy`` / ``lad.npy``  int16 index into the code tables in ``meta.json``
* ``flags.npy``  uint8: country, live status, "council inferred"

Lookups are a binary search (``np.searchsorted``): a few microseconds each.

Public points (see :func:`public_point`): the centroid of each postcode *sector*
("LS6 2") and its number of live postcodes are computed from those arrays once, in a
few vectorised passes, and kept next to them as ``sectors-v1-*.npy`` (about 12,000
rows), so nothing public ever needs a carer's own coordinates.

Cache directory: ``$COOPCARE_GEO_CACHE`` if set, else ``$XDG_CACHE_HOME/coopcare/geo``
(``~/.cache/coopcare/geo``); if neither is writable, a per-user temp directory. Each
build lives in a sub-directory named after the data file's SHA-256, so new data means a
new build. Build it at deploy time with ``python -m marketplace.geo build``.

No Flask imports here: the web layer wraps this module.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import gzip
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

try:  # POSIX only; on other systems concurrent builds just race (safely).
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "COUNTRY_NAMES",
    "Council",
    "GeoError",
    "InvalidPostcode",
    "OfflineGeocoder",
    "PostcodeLocation",
    "POSTCODE_PATTERN",
    "PostcodeNotFound",
    "PostcodeWithoutLocation",
    "PublicPoint",
    "care_council",
    "councils",
    "default_geocoder",
    "distance_km",
    "district_centroid",
    "get_geocoder",
    "is_outcode",
    "lookup",
    "normalise_postcode",
    "outcode_of",
    "public_point",
    "sector_of",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
POSTCODES_FILE = "uk_postcodes.csv.gz"
DISTRICTS_FILE = "uk_postcode_districts.csv"
AUTHORITIES_FILE = "uk_local_authorities.csv"

#: Bump when the cache layout or build logic changes.
CACHE_FORMAT = 1
NO_COORD = np.iinfo(np.int32).min
SCALE = 100_000
#: Bump when the sector arrays' layout or build logic changes.
SECTOR_FORMAT = 1
#: A sector with fewer live postcodes than this is too small to show: its carers are
#: shown at the centroid of the whole postcode district instead.
MIN_SECTOR_POSTCODES = 20

COUNTRY_NAMES = {
    "E": "England",
    "W": "Wales",
    "S": "Scotland",
    "N": "Northern Ireland",
    "L": "Channel Islands",
    "M": "Isle of Man",
}
_COUNTRY_CODES = ("", "E", "W", "S", "N", "L", "M")  # index 0: unknown
_COUNTRY_MASK = 0b0000_0111
_LIVE_KNOWN = 0b0000_1000
_LIVE = 0b0001_0000
_INFERRED = 0b0010_0000

# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class GeoError(Exception):
    """Base class for postcode problems. ``str(err)`` is safe to show to the person."""


class InvalidPostcode(GeoError, ValueError):
    """The text is not shaped like a UK postcode or outcode."""

    def __init__(self, text: object) -> None:
        self.text = text
        shown = str(text).strip()
        if shown:
            msg = (
                f"{shown} is not a UK postcode. A postcode looks like LS6 1AA (or LS6 for an area)."
            )
        else:
            msg = "That is not a UK postcode: please type a postcode such as LS6 1AA."
        super().__init__(msg)


class PostcodeNotFound(GeoError, LookupError):
    """Well-formed, but not in our data."""

    def __init__(self, postcode: str, message: str | None = None) -> None:
        self.postcode = postcode
        super().__init__(
            message or f"We could not find the postcode {postcode}. Check it and try again."
        )


class PostcodeWithoutLocation(PostcodeNotFound):
    """We know the postcode but have no map position for it (e.g. Jersey, Guernsey)."""

    def __init__(self, postcode: str, country: str | None = None) -> None:
        where = f" in {COUNTRY_NAMES[country]}" if country in COUNTRY_NAMES else ""
        self.country = country
        super().__init__(
            postcode,
            f"We know the postcode {postcode}{where}, but we have no map location for it, "
            "so we cannot find carers near it. Try a nearby postcode or your town's postcode.",
        )


# ---------------------------------------------------------------------------
# Normalisation and packing
# ---------------------------------------------------------------------------

# The one rule for what counts as a postcode or a postcode district, in the form people
# type it: any case, spaces, tabs, line breaks or no-break spaces anywhere ("ls61aa",
# " LS6  1AA ", "L S 6"). It is written for both Python and JSON Schema (ECMA-262)
# regular expressions, with an explicit whitespace class because the two disagree on what
# ``\s`` means, so the API publishes it unchanged in /api/v1/openapi.json.
# GIR 0AA and NPT are historic, in the data.
_WS = r"[ \t\n\r\u00a0]*"
_OUTCODE = (
    rf"(?:[A-Za-z]{_WS}(?:[A-Za-z]{_WS})?[0-9]{_WS}(?:[A-Za-z0-9]{_WS})?"
    rf"|[Gg]{_WS}[Ii]{_WS}[Rr]{_WS}|[Nn]{_WS}[Pp]{_WS}[Tt]{_WS})"
)
_INCODE = rf"(?:[0-9]{_WS}[A-Za-z]{_WS}[A-Za-z]{_WS})"
POSTCODE_PATTERN = rf"^{_WS}({_OUTCODE})({_INCODE})?$"
_POSTCODE_RE = re.compile(POSTCODE_PATTERN)
_OUTCODE_RE = re.compile(_OUTCODE)  # the same rule, for an outcode on its own
_WS_RE = re.compile(_WS)


def normalise_postcode(text: str) -> str:
    """Return ``"LS6 1AA"`` for a full postcode or ``"LS6"`` for a bare outcode.

    Accepts any case and any whitespace (none, several, tabs). Raises
    :class:`InvalidPostcode` for anything else.
    """
    m = _POSTCODE_RE.fullmatch(text) if isinstance(text, str) else None
    if m is None:
        raise InvalidPostcode(text)
    outcode = _WS_RE.sub("", m.group(1)).upper()
    if m.group(2) is None:
        return outcode
    return f"{outcode} {_WS_RE.sub('', m.group(2)).upper()}"


def is_outcode(text: str) -> bool:
    """True if ``text`` normalises to a bare outcode such as ``LS6``."""
    return " " not in normalise_postcode(text)


def outcode_of(postcode: str) -> str:
    """``"ls61aa"`` → ``"LS6"``; an outcode is returned normalised."""
    return normalise_postcode(postcode).split(" ")[0]


def sector_of(postcode: str) -> str:
    """``"ls61aa"`` → ``"LS6 1"`` (the postcode sector). InvalidPostcode for an outcode."""
    pc = normalise_postcode(postcode)
    if " " not in pc:
        raise InvalidPostcode(postcode)
    return pc[:-2]


_B37 = 37
_OUT_W = 4  # outcode chars (left-padded with 0)
_IN_W = 3  # incode chars
_LUT = np.zeros(256, dtype=np.int64)
for _i, _c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", start=1):
    _LUT[ord(_c)] = _i
_CHAR_VAL = {chr(i): int(v) for i, v in enumerate(_LUT) if v}
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_POW = _B37 ** np.arange(_OUT_W + _IN_W - 1, -1, -1, dtype=np.int64)


def _pack(outcode: str, incode: str) -> int:
    """Pack a normalised postcode into an int < 37**7 (fits int64).

    The outcode is left-padded to 4 chars, so all postcodes of one outcode form one
    contiguous, sorted run of keys: ``[_pack(out, "") , _pack(out, "") + 37**3)``.
    """
    v = 0
    for ch in outcode.rjust(_OUT_W, "\0") + incode.ljust(_IN_W, "\0"):
        v = v * _B37 + _CHAR_VAL.get(ch, 0)
    return v


def _pack_many(postcodes: list[str]) -> np.ndarray:
    """Vectorised ``_pack`` for normalised postcodes "OUT INC" (6-8 chars)."""
    raw = np.array(postcodes, dtype="S8").view(np.uint8).reshape(-1, 8)
    lengths = (raw != 0).sum(axis=1)
    right = np.zeros_like(raw)  # right-aligned: [pad.., outcode, ' ', incode]
    for n in np.unique(lengths):
        rows = lengths == n
        right[rows, 8 - n :] = raw[rows, :n]
    if not (right[:, 4] == ord(" ")).all():
        raise ValueError("postcode file is not normalised (expected 'OUT INC')")
    chars = _LUT[right[:, [0, 1, 2, 3, 5, 6, 7]]]
    return chars @ _POW


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


def plain_name(name: str | None) -> str | None:
    """A council's name as the pages show it, once: ONS gives Welsh councils as
    "Welsh - English" ("Caerdydd - Cardiff", "Gwynedd - Gwynedd"); we show "Cardiff"."""
    if not name:
        return name
    welsh, dash, english = name.partition(" - ")
    return english.strip() if dash and english.strip() else name


class LivePostcodes(Sequence[tuple[str, float, float]]):
    """A district's live postcodes (see ``OfflineGeocoder.live_postcodes``)."""

    def __init__(self, geocoder: OfflineGeocoder, outcode: str, rows: np.ndarray) -> None:
        self._geocoder, self._outcode, self._rows = geocoder, outcode, rows

    def __len__(self) -> int:
        return int(self._rows.size)

    def __getitem__(self, index):  # type: ignore[no-untyped-def, override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        row = int(self._rows[index])
        g = self._geocoder
        code = int(g._keys[row]) % _B37**_IN_W
        incode = ""
        for _ in range(_IN_W):
            code, digit = divmod(code, _B37)
            incode = _ALPHABET[digit - 1] + incode
        return (f"{self._outcode} {incode}", int(g._lat[row]) / SCALE, int(g._lon[row]) / SCALE)


class Council(NamedTuple):
    code: str
    name: str


class PublicPoint(NamedTuple):
    """Where the public may think someone is: ``(lat, lon, label)``.

    ``label`` names the area the point stands for: a postcode sector such as
    ``"LS6 2"``, or a district such as ``"LS6"`` when the sector is small.
    """

    lat: float
    lon: float
    label: str


@dataclasses.dataclass(frozen=True, slots=True)
class PostcodeLocation:
    """Where a postcode (or outcode) is, and which council does adult social care there.

    ``district`` is the local authority district name (e.g. "Oxford" for OX1 2JD, whose
    care council is Oxfordshire). ``live`` is False for terminated postcodes and None
    where unknown (Northern Ireland). ``care_council_inferred`` is True when the postcode
    row had no council (terminated postcodes) and we took the council of the nearest live
    postcode in the same outcode. For outcodes, ``other_care_council_codes`` lists other
    councils that cover part of the district (the full postcode is more precise).
    """

    postcode: str
    outcode: str
    district: str | None
    lat: float
    lon: float
    care_council_code: str | None
    care_council_name: str | None
    country: str | None
    live: bool | None
    is_outcode: bool
    lad_code: str | None = None
    care_council_inferred: bool = False
    other_care_council_codes: tuple[str, ...] = ()

    @property
    def point(self) -> tuple[float, float]:
        return (self.lat, self.lon)

    @property
    def country_name(self) -> str | None:
        return COUNTRY_NAMES.get(self.country or "")

    @property
    def care_council(self) -> Council | None:
        if self.care_council_code is None:
            return None
        return Council(self.care_council_code, self.care_council_name or "")

    @property
    def address(self) -> str:
        where = self.care_council_name or self.country_name
        return f"{self.postcode}, {where}" if where else self.postcode

    def as_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["other_care_council_codes"] = list(self.other_care_council_codes)
        return d


@dataclasses.dataclass(frozen=True, slots=True)
class _District:
    outcode: str
    lat: float
    lon: float
    country: str | None
    lad_code: str | None
    lad_name: str | None
    care_code: str | None
    care_name: str | None
    others: tuple[str, ...]


# ---------------------------------------------------------------------------
# Cache build
# ---------------------------------------------------------------------------

_ARRAYS = ("keys", "lat", "lon", "care", "lad", "flags")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _iter_chunks(path: Path, chunk_bytes: int = 8 << 20) -> Iterator[list[list[str]]]:
    """Yield the 7 columns of successive blocks of rows, as lists of str.

    One ``str.split`` per block on a flattened text is several times faster than the
    csv module or a split per line (the file has no quoting: checked below)."""
    ncol = 7
    with gzip.open(path, "rt", encoding="ascii", newline="") as f:
        header = f.readline().strip().split(",")
        expected = ["postcode", "lat", "lon", "country", "lad_code", "care_la_code", "live"]
        if header != expected:
            raise ValueError(f"{path.name}: unexpected header {header}")
        rest = ""
        while True:
            block = f.read(chunk_bytes)
            text = rest + block
            if not block:
                if text.strip():
                    raise ValueError(f"{path.name}: no newline at end of file")
                return
            cut = text.rfind("\n") + 1
            text, rest = text[:cut], text[cut:]
            if '"' in text or "\r" in text:
                raise ValueError(f"{path.name}: quoting/CRLF not supported by the fast parser")
            fields = text[:-1].replace("\n", ",").split(",")
            if len(fields) % ncol:
                raise ValueError(f"{path.name}: ragged rows")
            yield [fields[i::ncol] for i in range(ncol)]


def _build_arrays(path: Path) -> tuple[dict[str, np.ndarray], list[str], list[str]]:
    care_idx: dict[str, int] = {"": 0}
    lad_idx: dict[str, int] = {"": 0}
    country_idx = {c: i for i, c in enumerate(_COUNTRY_CODES)}
    live_bits = {"1": _LIVE_KNOWN | _LIVE, "0": _LIVE_KNOWN, "": 0}
    parts: dict[str, list[np.ndarray]] = {name: [] for name in _ARRAYS}
    nan = float("nan")
    for pc, lat, lon, country, lad, care, live in _iter_chunks(path):
        parts["keys"].append(_pack_many(pc))
        for name, col in (("lat", lat), ("lon", lon)):
            f = np.array([float(x) if x else nan for x in col])
            scaled = np.where(np.isnan(f), NO_COORD, np.rint(np.nan_to_num(f) * SCALE))
            parts[name].append(scaled.astype(np.int32))
        parts["care"].append(
            np.array([care_idx.setdefault(c, len(care_idx)) for c in care], dtype=np.int16)
        )
        parts["lad"].append(
            np.array([lad_idx.setdefault(c, len(lad_idx)) for c in lad], dtype=np.int16)
        )
        flags = [country_idx[c] | live_bits[v] for c, v in zip(country, live, strict=True)]
        parts["flags"].append(np.array(flags, dtype=np.uint8))
    arrays = {name: np.concatenate(parts.pop(name)) for name in _ARRAYS}
    order = np.argsort(arrays["keys"], kind="stable")
    arrays = {name: a[order] for name, a in arrays.items()}
    if (np.diff(arrays["keys"]) <= 0).any():
        raise ValueError(f"{path.name}: duplicate postcodes")
    care_codes = sorted(care_idx, key=care_idx.__getitem__)
    lad_codes = sorted(lad_idx, key=lad_idx.__getitem__)
    _infer_councils(arrays, care_codes)
    return arrays, care_codes, lad_codes


def _infer_councils(a: dict[str, np.ndarray], care_codes: list[str]) -> None:
    """Give rows with coordinates but no council (mostly terminated postcodes) the
    council, district and country of the nearest postcode in the same outcode that has
    one. Marks them with ``_INFERRED``. NI / Channel Islands / IoM are left alone."""
    country = a["flags"] & _COUNTRY_MASK
    has_xy = a["lat"] != NO_COORD
    gb_or_unknown = np.isin(country, [0, 1, 2, 3])
    need = has_xy & (a["care"] == 0) & gb_or_unknown
    donor = has_xy & (a["care"] != 0)
    out = a["keys"] // (_B37**_IN_W)
    starts = np.flatnonzero(np.r_[True, out[1:] != out[:-1]])
    ends = np.r_[starts[1:], len(out)]
    need_groups = np.unique(np.searchsorted(starts, np.flatnonzero(need), side="right") - 1)
    # country index implied by each care code's first letter (E/W/S), 0 if none
    care_country = np.array(
        [_COUNTRY_CODES.index(c[:1]) if c[:1] in ("E", "W", "S") else 0 for c in care_codes],
        dtype=np.uint8,
    )
    lat32, lon32 = a["lat"].astype(np.float32), a["lon"].astype(np.float32)
    for g in need_groups:
        s, e = starts[g], ends[g]
        rows_donor = s + np.flatnonzero(donor[s:e])
        if rows_donor.size == 0:
            continue
        rows_need = s + np.flatnonzero(need[s:e])
        dlat, dlon = lat32[rows_donor], lon32[rows_donor]
        coslat = np.float32(np.cos(np.radians(float(dlat.mean()) / SCALE)))
        dlon = dlon * coslat
        for b in range(0, rows_need.size, 256):
            block = rows_need[b : b + 256]
            d = lat32[block, None] - dlat[None, :]
            d *= d
            dx = lon32[block, None] * coslat - dlon[None, :]
            dx *= dx
            d += dx
            nearest = rows_donor[np.argmin(d, axis=1)]
            a["care"][block] = a["care"][nearest]
            a["lad"][block] = a["lad"][nearest]
            flags = a["flags"][block]
            ctry = flags & _COUNTRY_MASK
            ctry = np.where(ctry == 0, care_country[a["care"][block]], ctry)
            a["flags"][block] = (flags & ~np.uint8(_COUNTRY_MASK)) | ctry | _INFERRED


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    if fcntl is None:  # pragma: no cover
        yield
        return
    with path.open("a+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _writable_dir(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".probe-"):
            pass
        return True
    except OSError:
        return False


def _cache_roots() -> list[Path]:
    roots = []
    if env := os.environ.get("COOPCARE_GEO_CACHE"):
        roots.append(Path(env).expanduser())
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path("~/.cache").expanduser())
    roots.append(Path(xdg) / "coopcare" / "geo")
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    roots.append(Path(tempfile.gettempdir()) / f"coopcare-geo-{uid}")
    return roots


def _is_complete(build_dir: Path) -> bool:
    return (build_dir / "meta.json").is_file()


def build_cache(
    postcodes_csv: Path, cache_root: Path, sha256: str | None = None
) -> tuple[Path, float]:
    """Build (or reuse) the array cache for ``postcodes_csv`` under ``cache_root``.

    Returns ``(build_dir, seconds_spent_building)``; 0.0 means an existing build was
    reused. Safe against concurrent builders (file lock + atomic rename).
    """
    sha256 = sha256 or _sha256(postcodes_csv)
    build_dir = cache_root / f"postcodes-v{CACHE_FORMAT}-{sha256[:16]}"
    if _is_complete(build_dir):
        return build_dir, 0.0
    cache_root.mkdir(parents=True, exist_ok=True)
    with _file_lock(cache_root / ".build.lock"):
        if _is_complete(build_dir):  # another process built it while we waited
            return build_dir, 0.0
        t0 = time.perf_counter()
        arrays, care_codes, lad_codes = _build_arrays(postcodes_csv)
        tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=cache_root))
        try:
            for name, arr in arrays.items():
                np.save(tmp / f"{name}.npy", np.ascontiguousarray(arr))
            meta = {
                "format": CACHE_FORMAT,
                "source": postcodes_csv.name,
                "sha256": sha256,
                "rows": int(arrays["keys"].size),
                "care_codes": care_codes,
                "lad_codes": lad_codes,
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            (tmp / "meta.json").write_text(json.dumps(meta))
            for f in tmp.iterdir():  # durable before the rename (also marks pages clean)
                fd = os.open(f, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            if build_dir.exists():  # stale, incomplete leftovers
                shutil.rmtree(build_dir)
            os.replace(tmp, build_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return build_dir, time.perf_counter() - t0


# ---------------------------------------------------------------------------
# Postcode sectors (for public points)
# ---------------------------------------------------------------------------

_SECTOR_ARRAYS = ("sector_keys", "sector_lat", "sector_lon", "sector_live")
_SECTOR_DIV = _B37 ** (_IN_W - 1)  # a key // this = the sector ("LS6 1AA" -> "LS6 1")


def _sector_key(outcode: str, sector_digit: str) -> int:
    return _pack(outcode, sector_digit) // _SECTOR_DIV


def _build_sectors(
    keys: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    flags: np.ndarray,
    chunk_rows: int = 1 << 18,
) -> dict[str, np.ndarray]:
    """Each postcode sector's live-postcode count and the centroid of those postcodes.

    A postcode counts when it has coordinates and is live (or its status is unknown,
    as in Northern Ireland). Keys are sorted, so each sector is one run of rows; the
    arrays are read in chunks of ``chunk_rows`` (a few MB at a time, whatever the size
    of the table) and a sector cut by a chunk boundary is merged at the end.
    Returns ``sector_keys`` (int64, sorted, unique), ``sector_lat`` / ``sector_lon``
    (float64 degrees, NaN where no live postcode) and ``sector_live`` (int32).
    """
    parts: dict[str, list[np.ndarray]] = {"k": [], "n": [], "lat": [], "lon": []}
    for a in range(0, int(keys.size), chunk_rows):
        b = min(a + chunk_rows, int(keys.size))
        sk = np.asarray(keys[a:b]) // _SECTOR_DIV
        if sk.size == 0:
            continue
        starts = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]])
        f = np.asarray(flags[a:b])
        la = np.asarray(lat[a:b])
        live = (la != NO_COORD) & (((f & _LIVE) != 0) | ((f & _LIVE_KNOWN) == 0))
        parts["k"].append(sk[starts])
        parts["n"].append(np.add.reduceat(live.astype(np.int64), starts))
        parts["lat"].append(np.add.reduceat(np.where(live, la, 0).astype(np.int64), starts))
        lo = np.asarray(lon[a:b])
        parts["lon"].append(np.add.reduceat(np.where(live, lo, 0).astype(np.int64), starts))
    if not parts["k"]:
        empty = np.zeros(0)
        return {
            "sector_keys": empty.astype(np.int64),
            "sector_lat": empty,
            "sector_lon": empty,
            "sector_live": empty.astype(np.int32),
        }
    k = np.concatenate(parts["k"])
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])  # merge runs cut by chunks
    n = np.add.reduceat(np.concatenate(parts["n"]), starts)
    lat_sum = np.add.reduceat(np.concatenate(parts["lat"]), starts)
    lon_sum = np.add.reduceat(np.concatenate(parts["lon"]), starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_lat = np.where(n > 0, lat_sum / np.maximum(n, 1) / SCALE, np.nan)
        mean_lon = np.where(n > 0, lon_sum / np.maximum(n, 1) / SCALE, np.nan)
    return {
        "sector_keys": k[starts].astype(np.int64),
        "sector_lat": np.round(mean_lat, 5),
        "sector_lon": np.round(mean_lon, 5),
        "sector_live": n.astype(np.int32),
    }


def _sector_files(build_dir: Path) -> dict[str, Path]:
    return {name: build_dir / f"{name}-v{SECTOR_FORMAT}.npy" for name in _SECTOR_ARRAYS}


def _save_sectors(build_dir: Path, sectors: dict[str, np.ndarray]) -> bool:
    """Store the sector arrays next to the postcode arrays (atomically, one file at a
    time: a reader that finds all four files finds four complete files). False when the
    directory is read-only."""
    try:
        with _file_lock(build_dir / ".sectors.lock"):
            for name, path in _sector_files(build_dir).items():
                if path.is_file():
                    continue
                fd, tmp = tempfile.mkstemp(prefix=f".{name}-", suffix=".npy", dir=build_dir)
                try:
                    with os.fdopen(fd, "wb") as f:
                        np.save(f, np.ascontiguousarray(sectors[name]))
                        f.flush()
                        os.fsync(f.fileno())
                    os.replace(tmp, path)
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp)
                    raise
    except OSError:
        return False
    return True


# ---------------------------------------------------------------------------
# The geocoder
# ---------------------------------------------------------------------------


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


class OfflineGeocoder:
    """Offline postcode geocoder with a geopy-compatible ``geocode`` method.

    Loading is lazy and thread-safe; the first use builds the cache if needed.
    """

    def __init__(self, data_dir: str | Path | None = None, cache_dir: str | Path | None = None):
        self.data_dir = Path(data_dir) if data_dir else DATA_DIR
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._lock = threading.Lock()
        self._loaded = False
        self.build_dir: Path | None = None
        self.build_seconds = 0.0
        self.load_seconds = 0.0
        self._sectors: dict[str, np.ndarray] | None = None
        self.sector_seconds = 0.0

    # -- loading ----------------------------------------------------------
    def load(self) -> OfflineGeocoder:
        """Load now (building the cache first if needed). Idempotent."""
        if self._loaded:
            return self
        with self._lock:
            if not self._loaded:
                self._load()
                self._loaded = True
        return self

    def _choose_build_dir(self) -> tuple[Path, float]:
        src = self.data_dir / POSTCODES_FILE
        sha = _sha256(src)
        roots = [self.cache_dir] if self.cache_dir else _cache_roots()
        name = f"postcodes-v{CACHE_FORMAT}-{sha[:16]}"
        for root in roots:  # an existing build wins, even in a read-only directory
            if _is_complete(root / name):
                return root / name, 0.0
        for root in roots:
            if _writable_dir(root):
                return build_cache(src, root, sha)
        raise OSError(f"No writable cache directory for postcodes (tried {roots})")

    def _load(self) -> None:
        t0 = time.perf_counter()
        self.build_dir, self.build_seconds = self._choose_build_dir()
        t1 = time.perf_counter()
        meta = json.loads((self.build_dir / "meta.json").read_text())
        arrs = {
            # np.asarray: a plain ndarray view of the mmap (faster than np.memmap methods)
            name: np.asarray(np.load(self.build_dir / f"{name}.npy", mmap_mode="r"))
            for name in _ARRAYS
        }
        if any(a.shape != (meta["rows"],) for a in arrs.values()):
            raise ValueError(f"corrupt postcode cache in {self.build_dir}; delete it")
        self._keys, self._lat, self._lon = arrs["keys"], arrs["lat"], arrs["lon"]
        self._care, self._lad, self._flags = arrs["care"], arrs["lad"], arrs["flags"]
        self._care_codes: list[str | None] = [c or None for c in meta["care_codes"]]
        self._lad_codes: list[str | None] = [c or None for c in meta["lad_codes"]]
        self._authorities = {r["code"]: r for r in _read_csv(self.data_dir / AUTHORITIES_FILE)}
        self._districts: dict[str, _District] = {}
        for r in _read_csv(self.data_dir / DISTRICTS_FILE):
            self._districts[r["outcode"]] = _District(
                outcode=r["outcode"],
                lat=float(r["lat"]),
                lon=float(r["lon"]),
                country=r["country"] or None,
                lad_code=r["lad_code"] or None,
                lad_name=plain_name(r["lad_name"]) or None,
                care_code=r["care_la_code"] or None,
                care_name=self._council_name(r["care_la_code"])
                or plain_name(r["care_la_name"])
                or None,
                others=tuple(c for c in r["other_care_la_codes"].split(";") if c),
            )
        self.load_seconds = time.perf_counter() - t1
        self.total_seconds = time.perf_counter() - t0

    def _council_name(self, code: str | None) -> str | None:
        row = self._authorities.get(code or "")
        return plain_name(row["name"]) if row else None

    @property
    def rows(self) -> int:
        self.load()
        return int(self._keys.size)

    # -- public API -------------------------------------------------------
    def lookup(self, query: str) -> PostcodeLocation:
        """Resolve a postcode or outcode. Raises InvalidPostcode / PostcodeNotFound /
        PostcodeWithoutLocation (a PostcodeNotFound)."""
        pc = normalise_postcode(query)
        self.load()
        if " " not in pc:
            return self._outcode_location(pc)
        out, inc = pc.split(" ")
        key = _pack(out, inc)
        keys = self._keys
        i = int(keys.searchsorted(key))
        if i >= keys.size or int(keys[i]) != key:
            raise PostcodeNotFound(pc)
        flags = int(self._flags[i])
        country = _COUNTRY_CODES[flags & _COUNTRY_MASK] or None
        lat_i = int(self._lat[i])
        if lat_i == NO_COORD:
            raise PostcodeWithoutLocation(pc, country)
        care = self._care_codes[int(self._care[i])]
        lad = self._lad_codes[int(self._lad[i])]
        return PostcodeLocation(
            postcode=pc,
            outcode=out,
            district=self._council_name(lad),
            lat=lat_i / SCALE,
            lon=int(self._lon[i]) / SCALE,
            care_council_code=care,
            care_council_name=self._council_name(care),
            country=country,
            live=bool(flags & _LIVE) if flags & _LIVE_KNOWN else None,
            is_outcode=False,
            lad_code=lad,
            care_council_inferred=bool(flags & _INFERRED),
        )

    def live_postcodes(self, outcode: str) -> LivePostcodes:
        """Every live postcode of a district that has a location, in postcode order, as a
        sequence of (postcode, lat, lon). Used to place demo carers on real addresses;
        each postcode's text is made only when it is read."""
        self.load()
        out = normalise_postcode(outcode)
        start = _pack(out, "")
        keys = self._keys
        lo = int(keys.searchsorted(start))
        hi = int(keys.searchsorted(start + _B37**_IN_W))
        flags = np.asarray(self._flags[lo:hi])
        lat = np.asarray(self._lat[lo:hi])
        keep = ((flags & _LIVE) != 0) & (lat != NO_COORD)
        return LivePostcodes(self, out, lo + np.flatnonzero(keep))

    def _outcode_location(self, outcode: str) -> PostcodeLocation:
        d = self._districts.get(outcode)
        if d is None:
            raise PostcodeNotFound(
                outcode,
                f"We could not find the postcode area {outcode}. Check it and try again.",
            )
        return PostcodeLocation(
            postcode=outcode,
            outcode=outcode,
            district=d.lad_name,
            lat=d.lat,
            lon=d.lon,
            care_council_code=d.care_code,
            care_council_name=d.care_name,
            country=d.country,
            live=True,
            is_outcode=True,
            lad_code=d.lad_code,
            other_care_council_codes=d.others,
        )

    def district_centroid(self, outcode: str) -> tuple[float, float]:
        """(lat, lon) of the outcode's centroid; accepts a full postcode too."""
        loc = self._outcode_location_checked(outcode_of(outcode))
        return (loc.lat, loc.lon)

    def _outcode_location_checked(self, outcode: str) -> PostcodeLocation:
        self.load()
        return self._outcode_location(outcode)

    # -- public points ------------------------------------------------------
    def _sector_table(self) -> dict[str, np.ndarray]:
        """The sector arrays: loaded from the cache, or built (and cached) on first use."""
        if self._sectors is not None:
            return self._sectors
        self.load()
        with self._lock:
            if self._sectors is None:
                t0 = time.perf_counter()
                assert self.build_dir is not None
                files = _sector_files(self.build_dir)
                if all(path.is_file() for path in files.values()):
                    sectors = {name: np.load(path) for name, path in files.items()}
                else:
                    sectors = _build_sectors(self._keys, self._lat, self._lon, self._flags)
                    _save_sectors(self.build_dir, sectors)
                sizes = {a.shape for a in sectors.values()}
                if len(sizes) != 1:
                    raise ValueError(f"corrupt sector cache in {self.build_dir}; delete it")
                self.sector_seconds = time.perf_counter() - t0
                self._sectors = sectors
        return self._sectors

    def sector_stats(self, sector: str) -> tuple[int, float | None, float | None]:
        """``"LS6 1"`` → (live postcodes, centroid lat, centroid lon); (0, None, None)
        for a sector with no live postcode or none at all."""
        text = " ".join(sector.split()).upper()
        outcode, _, digit = text.partition(" ")
        if not _OUTCODE_RE.fullmatch(outcode) or not (len(digit) == 1 and digit.isdigit()):
            raise InvalidPostcode(sector)
        table = self._sector_table()
        key = _sector_key(outcode, digit)
        i = int(table["sector_keys"].searchsorted(key))
        if i >= table["sector_keys"].size or int(table["sector_keys"][i]) != key:
            return (0, None, None)
        live = int(table["sector_live"][i])
        if live == 0:
            return (0, None, None)
        return (live, float(table["sector_lat"][i]), float(table["sector_lon"][i]))

    def public_point(self, query: str) -> PublicPoint:
        """The point everything public uses for someone at ``query`` (a full postcode or
        a district): the centroid of the postcode sector's live postcodes, or of the
        district when the sector has fewer than ``MIN_SECTOR_POSTCODES`` of them (or
        when only a district is known). Never the postcode's own point.

        Raises InvalidPostcode, PostcodeNotFound for a postcode or district we do not
        know (a terminated postcode is known: its sector or district is used), or
        PostcodeWithoutLocation for a postcode with no map position, as lookup() does.
        """
        pc = normalise_postcode(query)
        self.load()
        if " " in pc:
            out, inc = pc.split(" ")
            key = _pack(out, inc)
            i = int(self._keys.searchsorted(key))
            if i >= self._keys.size or int(self._keys[i]) != key:
                raise PostcodeNotFound(pc)
            if int(self._lat[i]) == NO_COORD:  # as lookup() does: not on the map
                flags = int(self._flags[i])
                raise PostcodeWithoutLocation(pc, _COUNTRY_CODES[flags & _COUNTRY_MASK] or None)
            sector = f"{out} {inc[0]}"
            live, lat, lon = self.sector_stats(sector)
            if live >= MIN_SECTOR_POSTCODES and lat is not None and lon is not None:
                return PublicPoint(lat, lon, sector)
        else:
            out = pc
        return self._district_point(out)

    def _district_point(self, outcode: str) -> PublicPoint:
        d = self._districts.get(outcode)
        if d is not None:
            return PublicPoint(d.lat, d.lon, outcode)
        # Not in the districts file: the centroid of the district's postcodes.
        lo = _pack(outcode, "")
        a, b = (int(x) for x in self._keys.searchsorted([lo, lo + _B37**_IN_W]))
        lat = np.asarray(self._lat[a:b])
        has = lat != NO_COORD
        if not has.any():
            raise PostcodeNotFound(
                outcode, f"We could not find the postcode area {outcode}. Check it and try again."
            )
        lon = np.asarray(self._lon[a:b])
        return PublicPoint(
            round(float(lat[has].mean()) / SCALE, 5),
            round(float(lon[has].mean()) / SCALE, 5),
            outcode,
        )

    def care_council(self, code: str) -> Council:
        """``"E08000035"`` → ``Council("E08000035", "Leeds")``. KeyError if unknown."""
        self.load()
        name = self._council_name(code.strip().upper())
        if name is None:
            raise KeyError(f"Unknown council code {code!r}")
        return Council(code.strip().upper(), name)

    def councils(self, country: str | None = None) -> list[Council]:
        """Councils with adult social care responsibility, sorted by name.

        ``country``: optional "England", "Scotland" or "Wales" (or E/S/W)."""
        self.load()
        if country and len(country) == 1:
            country = COUNTRY_NAMES.get(country.upper(), country)
        return sorted(
            (
                Council(r["code"], r["name"])
                for r in self._authorities.values()
                if r["social_care_authority"] == "1" and (not country or r["country"] == country)
            ),
            key=lambda c: (c.name.casefold(), c.code),
        )

    # geopy-compatible -----------------------------------------------------
    def geocode(
        self, query: str, exactly_one: bool = True, timeout: float | None = None, **_: Any
    ) -> Any:
        """geopy-style: a ``geopy.location.Location`` (or a one-item list when
        ``exactly_one`` is False), or None if the query is not a known, mappable
        postcode. ``timeout`` is accepted and ignored."""
        from geopy.location import Location

        try:
            loc = self.lookup(query)
        except GeoError:
            return None
        result = Location(loc.address, (loc.lat, loc.lon), loc.as_dict())
        return result if exactly_one else [result]


# ---------------------------------------------------------------------------
# Module-level helpers using one shared instance
# ---------------------------------------------------------------------------

_default: OfflineGeocoder | None = None
_default_lock = threading.Lock()


def default_geocoder() -> OfflineGeocoder:
    """The process-wide geocoder (created on first use, loaded lazily)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = OfflineGeocoder()
    return _default


def lookup(query: str) -> PostcodeLocation:
    return default_geocoder().lookup(query)


def live_postcodes(outcode: str) -> LivePostcodes:
    return default_geocoder().live_postcodes(outcode)


def district_centroid(outcode: str) -> tuple[float, float]:
    return default_geocoder().district_centroid(outcode)


def care_council(code: str) -> Council:
    return default_geocoder().care_council(code)


def public_point(postcode: str) -> PublicPoint:
    """``"LS6 1AA"`` → ``PublicPoint(lat, lon, "LS6 1")``: the only point anything
    public may use for a carer's home or a provider's base. See
    :meth:`OfflineGeocoder.public_point`."""
    return default_geocoder().public_point(postcode)


def councils(country: str | None = None) -> list[Council]:
    return default_geocoder().councils(country)


def get_geocoder(name_or_spec: str | None = "offline") -> Any:
    """``"offline"`` (default) → :func:`default_geocoder`.

    ``"nominatim:<user agent>"`` → ``geopy.geocoders.Nominatim(user_agent=...)``;
    ``"<service>:<api key>"`` → that geopy geocoder with ``api_key``. Network geocoders
    are only constructed here, never called.
    """
    spec = (name_or_spec or "offline").strip()
    name, _, arg = spec.partition(":")
    name = name.strip().lower()
    if name in {"", "offline"}:
        return default_geocoder()
    from geopy.geocoders import get_geocoder_for_service

    try:
        cls = get_geocoder_for_service(name)
    except Exception as exc:  # geopy raises GeocoderNotFound
        raise ValueError(f"Unknown geocoder {name!r}") from exc
    if name in {"nominatim", "openmapquest"}:
        if not arg:
            raise ValueError(f"{name} needs a user agent: '{name}:my-app/1.0 (me@example.org)'")
        return cls(user_agent=arg)
    return cls(api_key=arg) if arg else cls()


def _as_point(x: Any) -> tuple[float, float]:
    if isinstance(x, str):
        return lookup(x).point
    if isinstance(x, PostcodeLocation):
        return x.point
    if hasattr(x, "latitude") and hasattr(x, "longitude"):  # geopy Location / Point
        return (float(x.latitude), float(x.longitude))
    lat, lon = x[0], x[1]
    return (float(lat), float(lon))


def distance_km(a: Any, b: Any) -> float:
    """Geodesic (WGS84) distance in km between two postcodes / PostcodeLocations /
    geopy Locations or Points / (lat, lon) pairs."""
    from geopy.distance import geodesic

    return float(geodesic(_as_point(a), _as_point(b)).km)


def _main(argv: list[str]) -> int:
    """``python -m marketplace.geo build`` | ``python -m marketplace.geo LS6 1AA ...``"""
    if argv[:1] == ["build"]:
        g = default_geocoder().load()
        sectors = g._sector_table()["sector_keys"].size
        print(
            f"cache: {g.build_dir} (built in {g.build_seconds:.1f}s, rows={g.rows:,}, "
            f"sectors={sectors:,} in {g.sector_seconds:.2f}s)"
        )
        return 0
    status = 0
    for q in argv or ["LS6 1AA"]:
        try:
            print(json.dumps(lookup(q).as_dict()))
        except GeoError as exc:
            print(f"{q!r}: {exc}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_main(sys.argv[1:]))
