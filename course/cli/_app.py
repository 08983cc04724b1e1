"""The ``course`` command's Typer app, which composes one module per command."""

from __future__ import annotations

import typer

from . import (
    check_cmd,
    demo_cmd,
    explain_cmd,
    grade_cmd,
    hub_cmd,
    init_cmd,
    keys_cmd,
    lab_setup_cmd,
    list_cmd,
    release_cmd,
    report_cmd,
)

app = typer.Typer(
    name="course",
    help="Claims & Evidence: build, release and grade the course with nbgrader.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("list")(list_cmd.list_modules)
app.command("init")(init_cmd.init)
app.command("release")(release_cmd.release)
app.command("grade")(grade_cmd.grade)
app.command("keys")(keys_cmd.keys)
app.command("report")(report_cmd.report)
app.command("explain")(explain_cmd.explain)
app.command("debrief")(explain_cmd.debrief)
app.command("check")(check_cmd.check)
app.command("demo")(demo_cmd.demo)
app.command("lab-setup")(lab_setup_cmd.lab_setup)
app.add_typer(hub_cmd.app, name="hub")
