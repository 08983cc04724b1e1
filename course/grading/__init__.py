"""Grading outside the student's kernel.

Data moves one way: the answers file in ``submitted/`` is snapshotted before
any student code runs (:mod:`.snapshot`), scored against the key by pure
functions (:mod:`.score`), and written into nbgrader's grade cells by the
preprocessors in :mod:`.preprocessors`, which ``course init`` lists in the
course's ``nbgrader_config.py`` (:mod:`.config`).
"""
