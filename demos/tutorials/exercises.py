"""Checking a tutorial's exercises: the reader's answer when given, else the committed solution.

An exercise cell defines a function whose body is ``...`` (so it returns ``None``) until
the reader writes an answer. ``answer(function, solution_name, *args)`` calls it; while it
returns ``None`` it says so and calls the function of the same role in
``solutions/<solution_name>.py`` instead, so that the checking cell below every exercise
runs (and is tested in CI) either way, and a reader's wrong answer fails that cell.
"""
import importlib


def answer(function, solution_name, *args):
    """``function(*args)``, or the solution's function of the same name while it returns None."""
    value = function(*args)
    if value is not None:
        print(f"{function.__name__}: checking your answer")
        return value
    module = importlib.import_module(f"solutions.{solution_name}")
    print(f"{function.__name__}: not answered yet, checking the solution in "
          f"solutions/{solution_name}.py")
    return getattr(module, function.__name__)(*args)
