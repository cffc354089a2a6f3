"""The comparator's kernels are ready when its coach is made, not at the first attempt.

A kernel first called on the frame loop compiles (or loads from numba's cache) there,
and a worker compiling a score holds the interpreter lock: through Monado in CI that
froze an attempt's frames for 3-5 s and made a take its own loader refused.
"""

from __future__ import annotations

import json
import subprocess
import sys

_PROBE = r"""
import json
import numpy as np
from numba.core.registry import CPUDispatcher
import vrtrainer.compare.dtw as dtw, vrtrainer.compare.live as live
from vrtrainer.compare.template import build_template
from vrtrainer.hands import sim
from vrtrainer.hands.hand import HandFrame
from vrtrainer.session.coach import ComparatorCoach
from vrtrainer.session.training import LiveFeedback

def loaded():
    return {(m.__name__, n, str(s)) for m in (dtw, live) for n, f in vars(m).items()
            if isinstance(f, CPUDispatcher) for s in f.signatures}

takes = [sim.simulate("grab", seed=s) for s in (11, 12)]
template = build_template(takes, name="grab")
coach = ComparatorCoach(template, language="en")
ready = loaded()
trainee = sim.simulate("grab", role="trainee", seed=13)
frame, out = HandFrame(), LiveFeedback()
no_tools, no_flags = np.zeros((0, 7), np.float32), np.zeros(0, np.uint8)
coach.start()
for i in range(trainee.n_frames):
    trainee.frame(i, frame)
    coach.live(frame, no_tools, no_flags, out)
coach.final(trainee)
print(json.dumps({"ready": len(ready), "new": sorted(map(list, loaded() - ready))}))
"""


def test_a_coach_loads_every_kernel_its_attempts_use_before_the_first_frame():
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                          timeout=600, check=True)
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["ready"] > 0
    assert got["new"] == []  # nothing compiled or loaded while the attempt ran
