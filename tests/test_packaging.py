"""The wheel carries the top-level assets/, and an installed vrtrainer finds them.

Builds the real wheel (``pip wheel --no-deps``, the way ``pip install .`` builds it),
looks inside, then unpacks it as an install would and asks the installed package where
its assets are, in a fresh interpreter that imports vrtrainer from that install only.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from vrtrainer.assets import assets_dir

ROOT = Path(__file__).resolve().parents[1]
CHECKOUT_ASSETS = ROOT / "assets"


def _shipped() -> list[Path]:
    return sorted(p.relative_to(CHECKOUT_ASSETS) for p in CHECKOUT_ASSETS.rglob("*")
                  if p.is_file() and p.name != "README.md")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out),
                    str(ROOT)], check=True, capture_output=True, timeout=600)
    (built,) = out.glob("vrtrainer-*.whl")
    return built


def test_the_checkout_finds_its_top_level_assets():
    assert assets_dir() == CHECKOUT_ASSETS
    assert {"workbench.glb", "welding_torch.glb", "screwdriver.glb"} <= {
        p.name for p in _shipped()}


def test_the_wheel_carries_every_asset_byte_for_byte(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        for rel in _shipped():
            name = f"vrtrainer/_assets/{rel.as_posix()}"
            assert name in names, name
            assert z.read(name) == (CHECKOUT_ASSETS / rel).read_bytes(), name


def test_an_installed_vrtrainer_finds_the_assets_without_the_checkout(wheel, tmp_path):
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    probe = ("import json, sys; sys.path.insert(0, sys.argv[1]); import vrtrainer; "
             "from vrtrainer.assets import asset_path, assets_dir; "
             "print(json.dumps([vrtrainer.__file__, str(assets_dir()), "
             "asset_path('workbench.glb').is_file()]))")
    out = subprocess.run([sys.executable, "-c", probe, str(site)], cwd=tmp_path,
                         capture_output=True, text=True, check=True, timeout=120).stdout
    module, folder, found = json.loads(out)
    assert Path(module).is_relative_to(site)  # the install, not the checkout
    assert Path(folder) == site / "vrtrainer" / "_assets" and found
