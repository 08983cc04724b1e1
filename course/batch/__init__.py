"""Grade a class in parallel: long-lived nbgrader workers, one student per request.

``course.gradebatch`` decides *what* to grade; this package decides *how*:

* :mod:`.tasks`: what a worker is asked to do and what it answers;
* :mod:`.worker`: the worker program, which imports nbgrader once and then
  grades one student per request, each in a fresh nbgrader converter;
* :mod:`.pool`: the parent's side, which keeps ``jobs`` workers busy, stops a
  worker whose student runs past the time limit and replaces a worker that died;
* :mod:`.state`: which students are already graded, and the gradebook rows
  created before the parallel phase;
* :mod:`.fastpath`: which modules can be scored without running a kernel.
"""
