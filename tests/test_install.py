"""The package installs: a wheel built from pyproject.toml holds every module and the paper's
CSV files, and from a folder outside the checkout `import resizer` and the README's
"resizer in your own Keras model" snippet run against that wheel alone."""

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile

import pytest

from test_readme import python_blocks

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _pins(lines):
    return sorted(line.split("#")[0].strip() for line in lines if line.split("#")[0].strip())


def _project():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)["project"]


def test_pyproject_pins_are_requirements_txt():
    project = _project()
    with open(os.path.join(ROOT, "requirements.txt")) as f:
        required = _pins(f)
    assert sorted(project["dependencies"] + project["optional-dependencies"]["test"]) == required
    assert "pytest==9.2.0" in project["optional-dependencies"]["test"]
    assert not any(p.startswith("pytest") for p in project["dependencies"])


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The wheel pip builds from a copy of the checkout (the build writes into its source tree)."""
    if shutil.which("git") is None:
        pytest.skip("git is needed to list the checkout's files")
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheel")
    tracked = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "pyproject.toml",
                              "README.md", "resizer"], cwd=ROOT, capture_output=True, text=True, check=True)
    for name in tracked.stdout.split():
        if os.path.isfile(os.path.join(ROOT, name)):
            os.makedirs(os.path.dirname(source / name), exist_ok=True)
            shutil.copy(os.path.join(ROOT, name), source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                    "--disable-pip-version-check", str(source), "-w", str(out)], check=True, timeout=120)
    (path,) = out.glob("resizer-*.whl")
    return path


def test_wheel_holds_every_module_and_the_paper_tables(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert wheel.name == f"resizer-{_project()['version']}-py3-none-any.whl"
    for dirpath, _, files in os.walk(os.path.join(ROOT, "resizer")):
        for name in files:
            if name.endswith((".py", ".csv")):
                assert os.path.relpath(os.path.join(dirpath, name), ROOT) in names
    metadata = zipfile.ZipFile(wheel).read(f"resizer-{_project()['version']}.dist-info/METADATA").decode()
    assert "Requires-Dist: tensorflow==2.21.0" in metadata
    assert re.search(r"Requires-Dist: pytest==9\.2\.0; extra == \"test\"", metadata)


def test_installed_package_imports_from_another_folder(wheel, tmp_path):
    site, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere.mkdir()
    (elsewhere / "own_model.py").write_text(python_blocks()[0])  # the README snippet, as a user saves it
    check = ("import runpy, resizer, resizer.paper; runpy.run_path('own_model.py'); "
             "print(resizer.__file__); print(len(resizer.paper.load(4)))")
    env = {**os.environ, "PYTHONPATH": str(site)}
    proc = subprocess.run([sys.executable, "-c", check], cwd=elsewhere, env=env, capture_output=True, text=True,
                          timeout=180)
    assert proc.returncode == 0, proc.stderr
    module_file, rows = proc.stdout.split()[-2:]
    assert module_file == str(site / "resizer" / "__init__.py")  # the wheel's copy, not the checkout
    assert int(rows) > 10
