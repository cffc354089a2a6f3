"""The applications of the frame loop: a training run and a recording run.

Each picks a backend by name, builds the session and its presenter, and runs
:func:`vrtrainer.session.loop.run_loop`; the top layer under the CLI, the only
one that knows every other (backends, session, renderer, OpenXR, results).
"""
