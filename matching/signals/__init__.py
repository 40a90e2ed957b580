"""One module per signal. Every score is in [0, 1]; ``NEUTRAL`` stands for unknown."""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

NEUTRAL = 0.5

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
