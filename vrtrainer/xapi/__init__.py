"""xAPI delivery: an LRS client and the sender that drains the results store's outbox.

The statements themselves are made with the attempt they describe, in the same
transaction, by :mod:`vrtrainer.results` (:mod:`vrtrainer.results.statements`,
:mod:`vrtrainer.results.cmi5`); this package only moves them to an LRS.
"""
