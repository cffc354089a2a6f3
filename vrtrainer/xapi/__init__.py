"""xAPI: the statements of an attempt, cmi5 launch parameters, an LRS client, the outbox sender.

Modules are imported by name (``vrtrainer.xapi.statements``...) to keep this package free
of import cycles with :mod:`vrtrainer.results`, which writes statements into its outbox.
"""
