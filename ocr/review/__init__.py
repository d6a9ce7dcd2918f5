"""The human half: the verification queue and every act a clerk performs on a reading.

- ``queue``: which documents wait for whom, in which order, with counts (read-only).
- ``services``: the acts (claim, release, correct, confirm, blind entry, submit, reject,
  the batch actions). Views, admin actions, commands and tasks call these; nothing else
  writes review state.
- ``cells``: character verification, the uncertain digit cells of many documents at once.
- ``quality``: the measured error rate of auto-accepted fields, from the quality samples.
- ``views``: the queue page, 次へ, the review screen and the character grid.
"""
