"""`vrtrainer replay`: a take and the expert ghost aligned by DTW, drawn to PNG with EGL."""

import numpy as np
import pytest
from PIL import Image

from vrtrainer.cli import main
from vrtrainer.compare import build_template, save_template
from vrtrainer.compare.aligned import align, mirrored_take
from vrtrainer.hands import sim
from vrtrainer.takes.take import save_take


def _red(path) -> int:
    """Pixels of the renderer's 'beyond tolerance' joint colour."""
    a = np.asarray(Image.open(path).convert("RGB")).astype(int)[14:]  # below the caption
    return int(np.count_nonzero((a[..., 0] > 150) & (a[..., 1] < 90) & (a[..., 2] < 90)))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    root = tmp_path_factory.mktemp("replay")
    experts = [sim.simulate("pinch", seed=s, rate=60.0) for s in (1, 2, 3)]
    paths = []
    for k, t in enumerate(experts):
        paths.append(save_take(t, root / f"expert-{k}.vrtake"))
    tpl = build_template(experts, name="pinch", names=[str(p) for p in paths])
    return root, save_template(tpl, root / "pinch.vrref"), tpl


def test_ghost_follows_the_warping_path_of_a_slow_take(reference):
    _, _, tpl = reference
    slow = sim.simulate("pinch", role="trainee", flaws=["slow=1.5"], seed=20, rate=60.0)
    expert = sim.simulate("pinch", seed=1, rate=60.0)
    r = align(slow, tpl, expert)
    g = r.ghost_frame
    assert g[0] <= 5 and g[-1] >= expert.n_frames - 6  # whole motion covered, end to end
    assert np.all(np.diff(g) >= 0)  # never runs backwards
    # the ghost waits for the slower take: about 1.5 take frames per ghost frame
    assert (slow.n_frames - 1) / max(g[-1] - g[0], 1) == pytest.approx(1.5, rel=0.15)


def test_replay_frames_show_red_joints_only_where_the_take_is_flawed(reference, tmp_path):
    root, ref, _ = reference
    bad = sim.simulate("pinch", role="trainee", flaws=["wrong-finger=45"], seed=9, rate=60.0)
    flaw = bad.meta.extra["flaws"][0]
    take = save_take(bad, tmp_path / "bad.vrtake")
    out = tmp_path / "frames"
    assert main(["replay", str(take), "--against", str(ref), "--frames", str(out),
                 "--every", "0.25", "--size", "240x180"]) == 0
    frames = sorted(out.glob("replay_*.png"))
    assert len(frames) == int(bad.duration / 0.25) + 1
    times = np.arange(len(frames)) * 0.25
    inside = (times > flaw["start"] + 0.2) & (times < flaw["end"] - 0.2)
    outside = (times < flaw["start"] - 0.2) | (times > flaw["end"] + 0.2)
    red = np.array([_red(p) for p in frames])
    assert red[inside].max() > 20 and red[outside].max() < 5  # the finger may face away
    # the ghost differs from the trainee's hand there: the flawed finger's tip is far off
    from vrtrainer.compare import load_template

    r = align(bad, load_template(ref), sim.simulate("pinch", seed=1, rate=60.0))
    mid = int(np.searchsorted(bad.times, 0.5 * (flaw["start"] + flaw["end"])))
    assert np.nanmax(r.joint_z[mid]) > 2.0 and np.nanmax(r.joint_z[5]) < 1.0


def test_left_handed_take_gets_a_mirrored_ghost(reference, tmp_path):
    root, ref, _ = reference
    left = sim.simulate("pinch", seed=21, rate=60.0, hand="left")
    take = save_take(left, tmp_path / "left.vrtake")
    assert main(["replay", str(take), "--against", str(ref), "--frames",
                 str(tmp_path / "f"), "--every", "1.0", "--size", "160x120"]) == 0
    from vrtrainer.compare import load_template

    r = align(left, load_template(ref), sim.simulate("pinch", seed=1, rate=60.0))
    assert r.score.mirrored and r.ghost.meta.handedness == "left"
    assert r.ghost.active[:, 0].all() and not r.ghost.active[:, 1].any()
    back = mirrored_take(mirrored_take(left))
    assert np.allclose(back.poses, left.poses)


def test_replay_against_one_expert_take_and_bad_options(reference, tmp_path, capsys):
    root, _, _ = reference
    trainee = save_take(sim.simulate("pinch", role="trainee", flaws=["jitter=3"], seed=3,
                                     rate=60.0), tmp_path / "t.vrtake")
    assert main(["replay", str(trainee), "--against", str(root / "expert-0.vrtake"),
                 "--frames", str(tmp_path / "g"), "--every", "1.0", "--size", "160x120"]) == 0
    assert "score" in capsys.readouterr().out
    assert main(["replay", str(trainee), "--against", str(root / "expert-0.vrtake")]) == 2
    assert "--frames" in capsys.readouterr().err


def _band_rows(path) -> int:
    """Rows of the caption's dark band at the top of a frame."""
    a = np.asarray(Image.open(path).convert("RGB")).astype(int)
    dark = (a.max(axis=2) < 40).mean(axis=1) > 0.3
    return int(np.argmin(dark)) if not dark.all() else len(dark)


def _ink_rows(path, band: int) -> int:
    """Rows of the band holding the caption's light letters (their height on screen)."""
    a = np.asarray(Image.open(path).convert("RGB")).astype(int)[:band]
    return int(((a.min(axis=2) > 150).sum(axis=1) > 0).sum())


def test_caption_names_the_worst_joint_in_words_and_grows_with_the_frame(reference, tmp_path):
    from vrtrainer.compare import load_template
    from vrtrainer.render.replay import caption_text

    root, ref, _ = reference
    bad = sim.simulate("pinch", role="trainee", flaws=["wrong-finger=45"], seed=9, rate=60.0)
    flaw = bad.meta.extra["flaws"][0]
    r = align(bad, load_template(ref), sim.simulate("pinch", seed=1, rate=60.0))
    mid = int(np.searchsorted(bad.times, 0.5 * (flaw["start"] + flaw["end"])))
    en, fr = caption_text(r, mid, "en"), caption_text(r, mid, "fr")
    assert "worst: right " in en and "tolerance" in en and "_" not in en, en
    assert "le plus loin : " in fr and " droit" in fr and "_" not in fr, fr
    assert "," in fr.split("le plus loin")[1]  # decimal comma in the tolerance multiple
    assert "all joints within tolerance" in caption_text(r, 5, "en")

    take = save_take(bad, tmp_path / "bad.vrtake")
    sizes = {}
    for size in ("320x240", "640x480"):
        out = tmp_path / size
        assert main(["replay", str(take), "--against", str(ref), "--frames", str(out),
                     "--every", "1.0", "--size", size]) == 0
        frame = sorted(out.glob("replay_*.png"))[1]
        band = _band_rows(frame)
        sizes[size] = (band, _ink_rows(frame, band))
    (small_band, small_ink), (big_band, big_ink) = sizes["320x240"], sizes["640x480"]
    assert small_ink >= 8  # legible on the small frame too
    assert big_band > 1.3 * small_band and big_ink > 1.3 * small_ink, sizes
