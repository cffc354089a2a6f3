"""The renderer's kernels are ready when a session's presenter is made, before the loop.

Their first call costs about 0.3 s even from numba's cache; a headset's renderer is made
in its GL context at the first frame, so loaded there it was a frozen first frame.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

_PROBE = r"""
import json, sys, tempfile
from pathlib import Path
from numba.core.registry import CPUDispatcher
import vrtrainer.render.hands as hands
import vrtrainer.render.presenter as presenter
from vrtrainer.app.training import TrainingOptions, run_training

def loaded():
    return {(n, str(s)) for n, f in vars(hands).items()
            if isinstance(f, CPUDispatcher) for s in f.signatures}

ready = []
made = presenter.Presenter.__init__

def init(self, *a, **kw):
    made(self, *a, **kw)
    ready.append(loaded())

presenter.Presenter.__init__ = init
with tempfile.TemporaryDirectory() as out:
    run = run_training(TrainingOptions(target="pinch", render=True, size=(64, 48),
                                       store=False, out_dir=Path(out)))
print(json.dumps({"presenters": len(ready), "ready": len(ready[0]),
                  "new": sorted(map(list, loaded() - ready[0])),
                  "attempts": len(run.outcomes)}))
"""


def test_a_presenter_loads_every_render_kernel_a_session_draws_with():
    env = dict(os.environ, PYOPENGL_PLATFORM="egl")
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                          timeout=600, check=True, env=env)
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["presenters"] == 1 and got["attempts"] >= 1
    assert got["ready"] > 0
    assert got["new"] == []  # nothing compiled or loaded while frames were drawn
