"""The lab catalog re-reads specs only when a file changed."""
import os
import re
import shutil
from pathlib import Path

from labspec.catalog import CachedLabs

LABS = Path(__file__).resolve().parents[2] / "labs"


def test_cached_labs_reload_only_on_change(tmp_path):
    shutil.copy(LABS / "lab1.yaml", tmp_path / "lab1.yaml")
    labs = CachedLabs(tmp_path, {})
    first, problems = labs()
    assert list(first) == ["lab1"] and problems == []
    assert labs()[0]["lab1"] is first["lab1"]                    # unchanged files: the same objects
    text = (tmp_path / "lab1.yaml").read_text().replace("name: lab1\n", "name: lab1\nchannel: C0OTHER\n", 1)
    (tmp_path / "lab1.yaml").write_text(re.sub(r"channel: \$\{LAB1_CHANNEL[^\n]*\n", "", text))
    os.utime(tmp_path / "lab1.yaml", ns=(1, 1))                  # a different mtime even within one tick
    reloaded, _ = labs()
    assert reloaded["lab1"].channel == "C0OTHER"
    shutil.copy(LABS / "lab2.yaml", tmp_path / "lab2.yaml")
    assert sorted(labs()[0]) == ["lab1", "lab2"]


def _reads(monkeypatch) -> list[str]:
    """The spec files the catalog reads from now on, by name."""
    import labspec.catalog as catalog
    seen: list[str] = []
    real = catalog.read_lab

    def counted(path, environ, *, shown_as=None):
        seen.append(path.name)
        return real(path, environ, shown_as=shown_as)
    monkeypatch.setattr(catalog, "read_lab", counted)
    return seen


def test_current_is_the_last_snapshot_and_reads_no_file(tmp_path, monkeypatch):
    shutil.copy(LABS / "lab1.yaml", tmp_path / "lab1.yaml")
    labs = CachedLabs(tmp_path, {})
    assert labs.refresh() is True
    reads = _reads(monkeypatch)
    shutil.copy(LABS / "lab2.yaml", tmp_path / "lab2.yaml")
    assert list(labs.current()[0]) == ["lab1"]        # not yet: the next refresh brings lab2
    assert reads == []
    assert labs.refresh() is True
    assert reads == ["lab2.yaml"]                     # lab1 did not change: not read again
    assert sorted(labs.current()[0]) == ["lab1", "lab2"]
    assert labs.refresh() is False and reads == ["lab2.yaml"]


def test_refresh_drops_a_removed_spec_and_keeps_cross_lab_checks(tmp_path, monkeypatch):
    shutil.copy(LABS / "lab1.yaml", tmp_path / "a.yaml")
    shutil.copy(LABS / "lab1.yaml", tmp_path / "b.yaml")
    labs = CachedLabs(tmp_path, {})
    labs.refresh()
    found, problems = labs.current()
    assert list(found) == ["lab1"] and {p.file for p in problems} == {"b.yaml"}
    reads = _reads(monkeypatch)
    (tmp_path / "a.yaml").unlink()
    assert labs.refresh() is True and reads == []     # b.yaml's own reading is reused ...
    found, problems = labs.current()
    assert found["lab1"].source == "b.yaml" and problems == []   # ... and no longer clashes
    labs.refresh()
    assert labs.current()[1] == []                    # a clash is not remembered from an old snapshot


def test_the_first_current_reads_when_nothing_was_loaded(tmp_path):
    shutil.copy(LABS / "lab1.yaml", tmp_path / "lab1.yaml")
    assert list(CachedLabs(tmp_path, {}).current()[0]) == ["lab1"]
    _, [problem] = CachedLabs(tmp_path / "nope", {}).current()
    assert "is not a directory" in problem.message
