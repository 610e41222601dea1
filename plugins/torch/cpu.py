"""What the CPU offers integer kernels: VNNI decides whether 8-bit weights are safe.

x86 CPUs without VNNI run ONNX Runtime's u8s8 kernels through ``vpmaddubsw``, which saturates
16-bit intermediate sums; weights quantized to 7 bits (reduced range) avoid that. With VNNI
(AVX512-VNNI or AVX-VNNI) or AMX the sums are 32-bit and full range is safe.
"""

from __future__ import annotations

from pathlib import Path

_VNNI_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})
_REPORTED_FLAGS = ("avx2", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "amx_int8",
                   "asimddp", "f16c", "avx512_fp16")


def cpu_flags(cpuinfo: str | None = None) -> frozenset[str]:
    """The CPU's feature flags from ``/proc/cpuinfo`` (empty where it cannot be read)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return frozenset()
    flags: set[str] = set()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in {"flags", "Features"}:
            flags.update(value.split())
    return frozenset(flags)


def has_vnni(flags: frozenset[str] | None = None) -> bool:
    """True when 8-bit dot products accumulate in 32 bits (VNNI, AVX-VNNI or AMX)."""
    return bool((cpu_flags() if flags is None else flags) & _VNNI_FLAGS)


def reported_flags(flags: frozenset[str] | None = None) -> dict[str, bool]:
    """The flags that matter for quantized inference, for reports."""
    present = cpu_flags() if flags is None else flags
    return {f: f in present for f in _REPORTED_FLAGS}
