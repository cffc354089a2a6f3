"""Small takes built by hand for tests that must not depend on the simulator."""

import numpy as np

from vrtrainer.takes.take import Take, TakeMeta


def random_take(n: int = 40, seed: int = 0, tools: tuple[str, ...] = ("torch",)) -> Take:
    """A take with plausible random values, every joint valid, one tool, a head."""
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(n, 2, 26, 4))
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    pos = rng.normal(scale=0.1, size=(n, 2, 26, 3)) + [0, 1.2, -0.4]
    k = len(tools)
    tq = rng.normal(size=(n, k, 4))
    tq /= np.linalg.norm(tq, axis=-1, keepdims=True)
    hq = rng.normal(size=(n, 4))
    hq /= np.linalg.norm(hq, axis=-1, keepdims=True)
    return Take(
        times=np.cumsum(rng.uniform(0.01, 0.012, n)),
        poses=np.concatenate([pos, q], axis=-1).astype(np.float32),
        radii=rng.uniform(0.004, 0.01, (n, 2, 26)).astype(np.float32),
        flags=np.full((n, 2, 26), 15, np.uint8),
        active=np.ones((n, 2), bool),
        meta=TakeMeta(role="expert", performer="p1", source="test", notes="hand-made"),
        tool_names=tools,
        tools=np.concatenate([rng.normal(size=(n, k, 3)), tq], -1).astype(np.float32)
        if k
        else None,
        tool_flags=np.full((n, k), 15, np.uint8) if k else None,
        head=np.concatenate([rng.normal(size=(n, 3)), hq], -1).astype(np.float32),
        head_flags=np.full(n, 15, np.uint8),
    )
