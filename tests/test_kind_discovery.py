"""A new kind needs no edit to the packages' ``__init__`` files: both find it themselves."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import pytest

import course.items
import course.kinds


def test_every_kind_module_of_the_package_is_imported_and_registered():
    """Does importing course.kinds import each of its public modules, registering their kinds?"""
    names = [m.name for m in pkgutil.iter_modules(course.kinds.__path__)]
    public = [n for n in names if not n.startswith("_")]
    assert public, names
    for name in public:
        assert f"course.kinds.{name}" in sys.modules, name
    registered = {type(k).__module__ for k in course.kinds.kinds().values()}
    assert registered == {f"course.kinds.{n}" for n in public}


def test_a_widget_not_listed_in_the_package_is_found_by_its_modules_all(monkeypatch):
    """Is a widget class found in its module's __all__ when course.items does not list it?"""
    monkeypatch.delitem(course.items._WHERE, "Numeric")
    monkeypatch.delitem(vars(course.items), "Numeric", raising=False)
    numeric = importlib.import_module("course.items.numeric")
    assert course.items.Numeric is numeric.Numeric


def test_an_unknown_or_private_name_is_still_an_attribute_error():
    """Do unknown and private names raise AttributeError, as a module's should?"""
    with pytest.raises(AttributeError, match="no attribute 'NoSuchWidget'"):
        course.items.NoSuchWidget  # noqa: B018
    with pytest.raises(AttributeError):
        course.items._no_such_helper  # noqa: B018
