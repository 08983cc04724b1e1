"""Accessibility of the rendered items, audited in the browser with axe-core.

axe-core (from npm, see package.json) is injected into the JupyterLab page
and run on the notebook panel. Violations are split by where their nodes are:

- ours: inside what the course puts in the notebook (the items and other
  cell outputs, and the lesson's Markdown). A serious or critical one fails.
- JupyterLab's own (toolbars, editors, menus): listed at the end of the run
  and written to test-artifacts/e2e/axe-report.json, never failing.

The other tests check what axe cannot: every control has an accessible name,
the saved indicator is a polite live region whose text changes, and no state
is shown by colour alone.
"""

from __future__ import annotations

import json
import re

import pytest
from jupyterlab_driver import (
    ARTIFACTS,
    KERNEL_TIMEOUT,
    SUMMARY,
    expect,
    open_notebook,
    run_all,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MODULE = "90-fixture"
NOTEBOOK = f"{MODULE}/{MODULE}.ipynb"

#: Nodes inside these belong to the course: item widgets, other outputs, lesson text.
OURS = ".jp-OutputArea-output, .jp-MarkdownCell .jp-RenderedMarkdown"
FAILING_IMPACTS = {"serious", "critical"}

AXE_RUN = """async ([context, ours]) => {
  const results = await axe.run(document.querySelector(context),
                                {resultTypes: ['violations'], elementRef: true});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => {
      const el = n.element;
      const item = el && el.closest ? el.closest('.ce-item') : null;
      return {
        target: n.target, html: n.html.slice(0, 300), impact: n.impact,
        summary: n.failureSummary,
        ours: !!(el && el.closest && el.closest(ours)),
        item: item ? (item.className.match(/ce-kind-[a-z-]+/) || [''])[0] : null,
      };
    }),
  }));
}"""

#: Roles of controls, which must each have an accessible name.
CONTROL_ROLES = r"radio|checkbox|textbox|combobox|listbox|button|spinbutton|slider|switch|searchbox"


def item(page, item_id):
    return page.locator(".jp-OutputArea-output .ce-item").filter(has_text=f"Question {item_id} ·")


def rendered(page, lab, specs) -> None:
    open_notebook(page, lab, NOTEBOOK, f'start("{MODULE}")')
    run_all(page, keyboard=False)
    expect(page.locator(".jp-OutputArea-output .ce-item")).to_have_count(
        len(specs), timeout=KERNEL_TIMEOUT
    )


def audit(page, axe_script) -> tuple[list[dict], list[dict]]:
    """Run axe on the notebook panel; return (our violations, JupyterLab's), split by node."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_script))
    ours, theirs = [], []
    for violation in page.evaluate(AXE_RUN, [".jp-NotebookPanel", OURS]):
        for side, keep in ((ours, True), (theirs, False)):
            nodes = [n for n in violation["nodes"] if n["ours"] is keep]
            if nodes:
                side.append({**violation, "nodes": nodes})
    return ours, theirs


def _merge(found: dict[str, dict], violations: list[dict]) -> None:
    for v in violations:
        known = found.setdefault(v["id"], {**v, "nodes": []})
        seen = {json.dumps(n["target"]) for n in known["nodes"]}
        known["nodes"] += [n for n in v["nodes"] if json.dumps(n["target"]) not in seen]


def test_axe_finds_no_serious_violation_in_our_markup(axe_script, page, student_lab, specs):
    """axe-core on the rendered items: fresh, then answered, with a note and a restored state."""
    lab = student_lab("a11y-student")
    rendered(page, lab, specs)
    ours: dict[str, dict] = {}
    theirs: dict[str, dict] = {}
    for side, found in zip((ours, theirs), audit(page, axe_script), strict=True):
        _merge(side, found)

    # Answered states: a saved choice, ticked boxes, a chosen category, a note for bad input.
    single = specs["f-single"]
    item(page, "f-single").get_by_role("radio", name=single.options["b"], exact=True).click()
    multi = specs["f-multi"]
    item(page, "f-multi").get_by_role("checkbox", name=multi.options["a"], exact=True).click()
    item(page, "f-class").get_by_role("combobox", name="Statement 1").select_option(index=1)
    field = item(page, "f-num").get_by_role("textbox", name=re.compile("^Your answer"))
    field.fill("abc")
    field.press("Enter")
    expect(item(page, "f-num").locator(".ce-note")).to_contain_text("Note:")
    expect(item(page, "f-single").get_by_role("status")).to_have_text(re.compile("^Saved"))
    for side, found in zip((ours, theirs), audit(page, axe_script), strict=True):
        _merge(side, found)

    report = {"ours": list(ours.values()), "jupyterlab": list(theirs.values())}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "axe-report.json").write_text(
        json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8"
    )
    for v in theirs.values():
        example = " ".join(map(str, v["nodes"][0]["target"]))[-90:]
        SUMMARY.append(
            f"[{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} nodes, e.g. {example})"
        )
    for v in ours.values():
        SUMMARY.append(f"ours, not failing: [{v['impact']}] {v['id']}: {v['help']}")

    failing = [v for v in ours.values() if v["impact"] in FAILING_IMPACTS]
    assert not failing, "serious or critical accessibility violations in the course's markup:\n" + (
        "\n".join(
            f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})\n"
            + "\n".join(
                f"    {n['item'] or ''} {n['html']}\n    {n['summary']}" for n in v["nodes"]
            )
            for v in failing
        )
    )


def test_every_control_has_an_accessible_name(page, student_lab, specs):
    """Each item has a heading, and each of its controls a name a screen reader can read."""
    lab = student_lab("names-student")
    rendered(page, lab, specs)
    for item_id, spec in specs.items():
        box = item(page, item_id)
        expect(box.get_by_role("heading", name=spec.prompt, exact=True)).to_have_count(1)
        # No control without a name anywhere in the item (the accessibility tree, as a snapshot).
        unnamed = [
            line.strip()
            for line in box.aria_snapshot().splitlines()
            if re.match(rf"^\s*- ({CONTROL_ROLES})(\s*\[[^\]]*\])*\s*:?\s*$", line)
        ]
        assert not unnamed, f"{item_id}: controls without an accessible name: {unnamed}"

        # And the names a student hears are the ones the lesson wrote.
        if spec.kind == "single_choice":
            for text in spec.options.values():
                expect(box.get_by_role("radio", name=text, exact=True)).to_have_count(1)
        elif spec.kind == "multiple_choice":
            for text in spec.options.values():
                expect(box.get_by_role("checkbox", name=text, exact=True)).to_have_count(1)
        elif spec.kind == "phrase_selection":
            for n, text in enumerate(_passage_order(box), start=1):
                expect(box.get_by_role("checkbox", name=f"{n}. {text}", exact=True)).to_have_count(
                    1
                )
        elif spec.kind == "numeric":
            name = "Your answer" + (f" (in {spec.unit})" if spec.unit else "")
            expect(box.get_by_role("textbox", name=name, exact=True)).to_have_count(1)
        elif spec.kind == "classification":
            for n in range(1, len(spec.statements) + 1):
                expect(
                    box.get_by_role("combobox", name=f"Statement {n}", exact=True)
                ).to_have_count(1)
        elif spec.kind == "ordering":
            expect(box.get_by_role("listbox", name="Your order", exact=True)).to_have_count(1)
            for label in ("Move up", "Move down", "Save this order"):
                expect(box.get_by_role("button", name=label)).to_have_count(1)
        elif spec.kind == "computed":
            expect(box.locator(".ce-recorded")).to_contain_text("No value recorded yet")


def _passage_order(box) -> list[str]:
    return [" ".join(t.split()) for t in box.locator(".ce-passage mark").all_inner_texts()]


def test_saved_indicator_is_announced_and_nothing_relies_on_colour(page, student_lab, specs):
    """The saved indicator is a polite live region that changes; states are words, not colours."""
    lab = student_lab("status-student")
    rendered(page, lab, specs)

    for item_id in specs:
        indicator = item(page, item_id).get_by_role("status")
        expect(indicator).to_have_count(1)
        expect(indicator).to_have_attribute("aria-live", "polite")
        expect(indicator).to_have_text(re.compile(r"^Not (answered|recorded) yet$"))

    # Answering changes the indicator's words (announced), and the control's state in the
    # accessibility tree: neither is a colour.
    box = item(page, "f-single")
    before = box.aria_snapshot()
    box.get_by_role("radio", name=specs["f-single"].options["c"], exact=True).click()
    expect(box.get_by_role("status")).to_have_text(re.compile(r"^Saved at \d\d:\d\d$"))
    after = box.aria_snapshot()
    assert "[checked]" not in before and "[checked]" in after

    box = item(page, "f-multi")
    box.get_by_role("checkbox", name=specs["f-multi"].options["d"], exact=True).click()
    expect(box.get_by_role("status")).to_have_text(re.compile(r"^Saved at "))
    expect(box.get_by_role("checkbox", name=specs["f-multi"].options["d"])).to_be_checked()

    # A problem is said in words ("Note: ..."), in a live region of its own.
    box = item(page, "f-num")
    field = box.get_by_role("textbox", name=re.compile("^Your answer"))
    field.fill("1,5")
    field.press("Enter")
    note = box.locator(".ce-note")
    expect(note).to_have_text(re.compile(r"^Note: .*comma"))
    expect(note).to_have_attribute("aria-live", "polite")
    expect(box.get_by_role("status").filter(has_text=re.compile("^Note:"))).to_have_count(1)

    # Highlighted phrases carry a number ([1], [2]...) matching their checkbox, not only a colour.
    box = item(page, "f-phrase")
    marks = box.locator(".ce-passage mark")
    numbers = box.locator(".ce-passage mark + sup")
    expect(numbers).to_have_count(marks.count())
    for n, text in enumerate(_passage_order(box), start=1):
        expect(numbers.nth(n - 1)).to_have_text(f"[{n}]")
        expect(box.get_by_role("checkbox", name=f"{n}. {text}", exact=True)).to_have_count(1)
