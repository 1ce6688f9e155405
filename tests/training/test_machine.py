"""training/machine.py: the CPU and ISA flags behind a figure, read from cpuinfo, and graceful without it."""

from __future__ import annotations

from pathlib import Path

import onnxruntime

from training.machine import ISA_FLAGS, cpu_description, measured_on, same_machine

X86 = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 7B13
flags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 avx fma f16c popcnt
processor\t: 1
model name\t: AMD EPYC 7B13
flags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 avx fma f16c popcnt avx2
"""

ARM = """processor\t: 0
BogoMIPS\t: 50.00
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics asimddp i8mm
"""


def cpuinfo(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cpuinfo"
    path.write_text(text)
    return path


def test_x86_model_and_only_the_documented_flags_of_the_first_cpu(tmp_path: Path) -> None:
    cpu = cpu_description(cpuinfo(tmp_path, X86))
    assert cpu["cpu"] == "AMD EPYC 7B13"
    assert cpu["isa_flags"] == ["sse4_1", "sse4_2", "avx", "fma", "f16c"], "no avx2: first CPU's line"
    assert set(cpu["isa_flags"]) <= set(ISA_FLAGS)


def test_arm_features_are_read_and_the_model_falls_back_to_the_platform(tmp_path: Path) -> None:
    cpu = cpu_description(cpuinfo(tmp_path, ARM))
    assert cpu["isa_flags"] == ["asimd", "asimddp", "i8mm"]
    assert isinstance(cpu["cpu"], str) and cpu["cpu"]


def test_without_cpuinfo_flags_are_unknown_not_empty(tmp_path: Path) -> None:
    cpu = cpu_description(tmp_path / "missing")
    assert cpu["isa_flags"] is None
    assert isinstance(cpu["cpu"], str) and cpu["cpu"]


def test_measured_on_names_onnxruntime_and_same_machine_compares_flags(tmp_path: Path) -> None:
    here = cpuinfo(tmp_path, X86)
    recorded = measured_on(here)
    assert recorded["onnxruntime"] == onnxruntime.__version__
    assert same_machine(recorded, here)
    with_avx2 = recorded | {"isa_flags": [*recorded["isa_flags"], "avx2"]}
    assert not same_machine(with_avx2, here), "another ISA is another machine"
    assert not same_machine(recorded | {"onnxruntime": "0.0.1"}, here)
    assert not same_machine(None, here), "an old sidecar without measured_on is from elsewhere"
    assert not same_machine(cpu_description(tmp_path / "missing") | {"onnxruntime": "x"}, here)
