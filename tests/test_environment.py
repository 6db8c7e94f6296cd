"""environment.yml (conda route) and pyproject.toml (pip route) pin the same packages at the same versions."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def pins_from_pyproject() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + [spec for extra in project["optional-dependencies"].values() for spec in extra]
    pins = {}
    for spec in specs:
        name, version = re.fullmatch(r"([A-Za-z0-9_.-]+)==([^;\s]+)", spec).groups()
        pins[name.lower()] = version
    return pins


def pins_from_environment() -> dict[str, str]:
    dependencies = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    pins = {}
    for entry in dependencies:
        specs = entry["pip"] if isinstance(entry, dict) else [entry]
        for spec in specs:
            match = re.fullmatch(r"([A-Za-z0-9_.-]+)==?([^\s]+)", spec)
            if match and match.group(1) != "python":
                pins[match.group(1).lower()] = match.group(2)
    return pins


def test_every_pin_is_pinned_exactly():
    assert all(version[0].isdigit() for version in pins_from_pyproject().values())


def test_environment_and_pyproject_agree():
    assert pins_from_environment() == pins_from_pyproject()


def test_python_versions_agree():
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    conda_python = next(entry for entry in yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
                        if isinstance(entry, str) and entry.startswith("python="))
    assert requires == ">=" + conda_python.split("=")[1]
