"""The built wheel works on its own: course files, LanguageTool rules and demo audio ship
inside it (trainer/_resources, see pyproject.toml) and are found without the checkout."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

from trainer.config import PROJECT_ROOT, resource_path

PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
# What a wheel is built from (everything else in the checkout stays out of it).
SOURCES = ["pyproject.toml", "README.md", "trainer", "lessons", "audio_samples", "languagetool"]


def test_every_trainer_package_is_listed_for_the_wheel():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    packages = {
        ".".join(init.parent.relative_to(PROJECT_ROOT).parts)
        for init in (PROJECT_ROOT / "trainer").rglob("__init__.py")
    }
    assert packages - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"


def test_resources_come_from_the_checkout_when_not_installed():
    assert resource_path("lessons") == PROJECT_ROOT / "lessons"
    assert resource_path("languagetool/rules") == PROJECT_ROOT / "languagetool" / "rules"
    for source, mapped in PYPROJECT["tool"]["setuptools"]["package-dir"].items():
        assert (PROJECT_ROOT / mapped).is_dir(), source


CHECK = """
import json
from pathlib import Path

import trainer
from trainer.config import get_settings
from trainer.content import get_bank
from trainer.content.samples import load_manifest
from trainer.features.grammar import CUSTOM_RULES_DIR

bank = get_bank()
samples = load_manifest()
print(json.dumps({
    "package": trainer.__file__,
    "content_dir": get_settings().content_dir,
    "bank_root": str(bank.root),
    "lessons": len(bank.lessons),
    "tasks": len(bank.tasks),
    "samples_present": all(s.path.is_file() for s in samples),
    "rules": sorted(p.name for p in Path(CUSTOM_RULES_DIR).rglob("*.xml")),
}))
"""


@pytest.mark.slow
def test_installed_wheel_finds_its_course_files_without_the_checkout(tmp_path):
    source = tmp_path / "source"  # a copy, so the build leaves no build/ or egg-info behind
    source.mkdir()
    for name in SOURCES:
        path = PROJECT_ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRAINER_", "PYTHON"))}
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-w", str(tmp_path / "dist")],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = (tmp_path / "dist").glob("*.whl")

    # A fresh venv; the dependencies come from this one (a .pth line adds its site-packages
    # after the new venv's own, so the wheel's trainer is the one imported, not the checkout).
    target = tmp_path / "venv"
    venv.create(target, with_pip=False)
    python = target / "bin" / "python"
    new_site = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    (new_site / "current_venv.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", str(wheel)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env["TRAINER_DATA_DIR"] = str(tmp_path / "data")
    env["TRAINER_SETTINGS"] = str(tmp_path / "absent.toml")
    checked = subprocess.run(
        [python, "-m", "trainer.cli", "content", "check"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("OK: ") and str(new_site) in checked.stdout

    loaded = subprocess.run([python, "-c", CHECK], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300)
    assert loaded.returncode == 0, loaded.stderr
    found = json.loads(loaded.stdout)
    assert found["package"].startswith(str(new_site))  # not the checkout's trainer
    bundled = new_site / "trainer" / "_resources"
    assert found["content_dir"] == found["bank_root"] == str(bundled / "lessons")
    assert found["lessons"] > 0 and found["tasks"] > 0
    assert found["samples_present"]
    assert found["rules"] == ["grammar_custom.xml"]
