"""Loaded by the Ralph processes the tests start (their PYTHONPATH names this folder).

Ralph 5.1.0's file-system LRS backend writes every batch with the data backend's default
operation, CREATE, which refuses to write to a file that exists: the second POST to a
``ralph runserver --backend fs`` fails with HTTP 500 ("already exists and overwrite is
not allowed"). Its write path already supports APPEND; make that the default so the LRS
can store more than one batch. Nothing else in Ralph is changed.
"""

try:
    from ralph.backends.data.base import BaseOperationType
    from ralph.backends.lrs.fs import FSLRSBackend
except ImportError:  # not a Ralph process
    pass
else:
    FSLRSBackend.default_operation_type = BaseOperationType.APPEND
