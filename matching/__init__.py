"""CoopCare matching: explained, vectorised ranking of carers and teams.

Pure Python + numpy + rapidfuzz: frozen dataclasses in, a ranked result out.
"""

from matching.engine import EXCLUSION_REASONS, TEAM_EXCLUSION_REASONS, nearest, rank, rank_teams
from matching.index import CandidateIndex, build_index
from matching.types import (
    PRIORITIES,
    SIGNAL_NAMES,
    SUGGESTION_KINDS,
    Candidate,
    Match,
    RankResult,
    Seeker,
    Signal,
    Suggestion,
    TeamMatch,
    TeamRankResult,
    Weights,
)
from matching.vocabulary import (
    DEFAULT_VOCABULARY,
    Term,
    Vocabulary,
    normalise_interest,
    normalise_language,
    normalise_skill,
    suggest,
)

__all__ = [
    "DEFAULT_VOCABULARY",
    "EXCLUSION_REASONS",
    "PRIORITIES",
    "SIGNAL_NAMES",
    "SUGGESTION_KINDS",
    "TEAM_EXCLUSION_REASONS",
    "Candidate",
    "CandidateIndex",
    "Match",
    "RankResult",
    "Seeker",
    "Signal",
    "Suggestion",
    "TeamMatch",
    "TeamRankResult",
    "Term",
    "Vocabulary",
    "Weights",
    "build_index",
    "nearest",
    "normalise_interest",
    "normalise_language",
    "normalise_skill",
    "rank",
    "rank_teams",
    "suggest",
]
