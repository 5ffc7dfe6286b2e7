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
