"""The labs directory: every spec loads on its own; labs are checked against each other."""
from __future__ import annotations

import shutil
from pathlib import Path

from labspec.catalog import load_labs
from labspec.check import check_files, describe
from labspec.loader import load_lab

ROOT = Path(__file__).resolve().parents[2]
LABS = ROOT / "labs"


def test_the_shipped_labs_directory_loads_without_problems() -> None:
    labs, problems = load_labs(LABS, {})
    assert problems == []
    assert {"lab1", "lab2"} <= set(labs)


def test_one_broken_file_does_not_hide_the_others(tmp_path: Path) -> None:
    shutil.copy(LABS / "lab1.yaml", tmp_path / "lab1.yaml")
    (tmp_path / "broken.yaml").write_text("name: broken\nvcenter: [\n")
    (tmp_path / "notes.txt").write_text("not a spec")
    labs, problems = load_labs(tmp_path, {})
    assert list(labs) == ["lab1"]
    assert problems and all(p.file.endswith("broken.yaml") for p in problems)


def test_a_lab_name_used_twice_keeps_the_first(tmp_path: Path) -> None:
    shutil.copy(LABS / "lab1.yaml", tmp_path / "a.yaml")
    shutil.copy(LABS / "lab1.yaml", tmp_path / "b.yaml")
    labs, problems = load_labs(tmp_path, {})
    assert labs["lab1"].source.endswith("a.yaml")
    messages = {(p.path, p.line): p.message for p in problems}
    assert messages[("name", 4)].startswith("lab name 'lab1' is already used by")
    assert "VM name 'fuel-master' is already used by lab lab1" in messages[("fuel.master_vm.name", 32)]
    line = (LABS / "lab1.yaml").read_text().split("\n").index("environment:") + 2   # its name: line
    assert "environment 'lab1' already exists on the same Fuel master" in messages[("environment.name", line)]


def test_a_missing_directory_is_one_problem(tmp_path: Path) -> None:
    labs, [problem] = load_labs(tmp_path / "nope", {})
    assert labs == {} and "is not a directory" in str(problem)


def test_check_files_returns_every_problem_of_every_file() -> None:
    fixtures = Path(__file__).parent / "fixtures_labs"
    problems = check_files([LABS / "lab1.yaml", fixtures / "many_problems.yaml", fixtures / "empty.yaml"], {})
    files = {Path(p.file).name for p in problems}
    assert files == {"many_problems.yaml", "empty.yaml"}
    assert check_files([LABS / "lab1.yaml", LABS / "lab2.yaml"], {}) == []


def test_describe_is_one_line_without_secrets_or_urls() -> None:
    lab = load_lab(LABS / "lab1.yaml", {"VCENTER_PASSWORD": "vc-Secret-9"})
    text = describe(lab)
    assert text == ("1 node (controller), Juno on CentOS 6.5 2014.2-6.0, multinode, vcenter, "
                    "nova_network FlatDHCPManager, Fuel master VM fuel-master")
    assert describe(load_lab(LABS / "lab2.yaml", {})).startswith("2 nodes (controller, cinder), ")
