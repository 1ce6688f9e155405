"""Which machine a figure was measured on: CPU model, the ISA flags that pick kernels, library versions.

onnxruntime (MLAS) and PyTorch choose their GEMM and int8 kernels by instruction set, so the same
model can flip a few borderline predictions from one CPU to the next, and the same seed can train
different weights. Every measured figure therefore says where it was measured.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

CPUINFO = Path("/proc/cpuinfo")

# The flags (as /proc/cpuinfo spells them) that change which kernels onnxruntime and PyTorch run:
# SSE4/AVX/AVX2/FMA/F16C and AVX-512 float paths, VNNI and AMX int8 paths (u8s8 without saturation),
# and their AArch64 counterparts (NEON dot product, int8 matrix multiply, SVE).
ISA_FLAGS = (
    "sse4_1",
    "sse4_2",
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512_vnni",
    "avx512_bf16",
    "avx_vnni",
    "amx_tile",
    "amx_int8",
    "amx_bf16",
    "asimd",
    "asimddp",
    "i8mm",
    "sve",
    "sve2",
)


def _cpuinfo_fields(text: str) -> dict[str, str]:
    """The first value of each ``key : value`` line of /proc/cpuinfo (the first CPU's)."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip(), value.strip())
    return fields


def cpu_description(cpuinfo: Path = CPUINFO) -> dict[str, Any]:
    """``{"cpu": model name, "isa_flags": [...] or None, "arch": ..., "cores": n}``.

    ``isa_flags`` lists which of :data:`ISA_FLAGS` the CPU has; it is ``None`` where the flags
    cannot be read (no /proc/cpuinfo: macOS, Windows), never a guess.
    """
    try:
        fields = _cpuinfo_fields(cpuinfo.read_text())
    except OSError:
        fields = {}
    flags_line = fields.get("flags", fields.get("Features"))
    flags = set(flags_line.split()) if flags_line is not None else None
    return {
        "cpu": fields.get("model name") or platform.processor() or platform.machine() or "unknown",
        "isa_flags": [f for f in ISA_FLAGS if f in flags] if flags is not None else None,
        "arch": platform.machine(),
        "cores": os.cpu_count(),
    }


def measured_on(cpuinfo: Path = CPUINFO) -> dict[str, Any]:
    """The CPU and the onnxruntime version behind an onnxruntime-measured figure."""
    import onnxruntime

    return cpu_description(cpuinfo) | {"onnxruntime": onnxruntime.__version__}


def same_machine(recorded: dict[str, Any] | None, cpuinfo: Path = CPUINFO) -> bool:
    """Whether this machine has the CPU model, ISA flags and onnxruntime of ``recorded``."""
    if not recorded or recorded.get("isa_flags") is None:
        return False
    here = measured_on(cpuinfo)
    return all(here.get(k) == recorded.get(k) for k in ("cpu", "isa_flags", "arch", "onnxruntime"))
