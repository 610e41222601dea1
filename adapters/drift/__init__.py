"""Drift detectors with NumPy/SciPy: PSI, MMD, per-feature tests, CUSUM and ADWIN.

Entry points (group ``edgedeploy.drift_detectors``) point at the factories exported here.
SciPy is imported inside the functions that compute with it, so discovering the detectors
(``doctor``, plugin selection) costs NumPy only.
"""

from edgedeploy.adapters.drift.arrays import NumpyWindowInspector, as_matrix
from edgedeploy.adapters.drift.ensemble import (
    DriftEnsemble,
    adwin_factory,
    builtin_detectors,
    cusum_factory,
    mmd_factory,
    psi_factory,
    serves,
    univariate_factory,
)
from edgedeploy.adapters.drift.mmd import MmdDetector
from edgedeploy.adapters.drift.psi import PsiDetector, psi_band
from edgedeploy.adapters.drift.stream import AdwinDetector, CusumDetector
from edgedeploy.adapters.drift.univariate import KsCvmDetector, anderson_darling_sf, rank_statistics

__all__ = [
    "AdwinDetector",
    "CusumDetector",
    "DriftEnsemble",
    "KsCvmDetector",
    "MmdDetector",
    "NumpyWindowInspector",
    "PsiDetector",
    "adwin_factory",
    "anderson_darling_sf",
    "as_matrix",
    "builtin_detectors",
    "cusum_factory",
    "mmd_factory",
    "psi_band",
    "psi_factory",
    "rank_statistics",
    "serves",
    "univariate_factory",
]
