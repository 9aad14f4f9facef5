"""The deeper networks in the architecture widget, in real Chromium: GoogLeNet, ResNet-50, ResNet-152 and
Xception shown row by row as the engine tabulates them; runs of identical blocks folded and opened; one
block drawn as a diagram (Inception's branches, the bottleneck and its projection, a separable convolution
beside the ordinary one); the long tables at a projector's 1024×768 and a phone's 390×844 without
sideways scrolling. Expected numbers are the engine's (tests/engine checks them against torch)."""

from __future__ import annotations

import pytest

from engine import architectures as arch
from engine import architectures_blocks as blocks

from ..helpers import open_widget, screenshot

W = "window.convscopeWidget"
DEEP = ["googlenet", "resnet50", "resnet152", "xception"]


def inspect(page) -> dict:
    return page.evaluate(f"{W}.widget.inspect()")


def chw(shape) -> str:
    """A shape as the page writes it: C × H × W with digit groups."""
    shape = (shape[2], shape[0], shape[1]) if len(shape) == 3 else shape
    return " × ".join(f"{v:,}" for v in shape)


def sees(field) -> str:
    return "all" if field is None else f"{field:,}×{field:,}"


@pytest.mark.parametrize("net", DEEP)
def test_each_deep_network_is_the_engines_table(page, server_url, net):
    open_widget(page, server_url, "architecture", f"?arv={net}")
    _, layers, _ = arch.network(net)
    rows = arch.table(net)
    shown = inspect(page)
    assert [(r["name"], r["shape"], r["params"], r["sees"]) for r in shown["rows"]] == [
        (r.name, chw(r.shape), f"{r.params:,}", sees(f)) for r, f in zip(rows, arch.receptive_fields(layers))
    ]
    assert shown["total"] == f"{sum(r.params for r in rows):,}"
    source = page.locator(".ar-source").inner_text()
    assert source.startswith(f"After {arch.SOURCES[net]}.")
    if net == "xception":  # Keras's own count, with batch norm's statistics
        assert f"It prints {arch.framework_count(net):,} parameters" in source
        assert f"batch norm's {arch.norm_statistics(net):,} running means and variances" in source
    else:
        assert "It prints" not in source


def test_repeated_blocks_fold_and_open(page, server_url):
    open_widget(page, server_url, "architecture", "?arv=resnet152")
    names = arch.network("resnet152")[2]
    runs = arch.fold(arch.network("resnet152")[1], arch.table("resnet152"))
    folds = inspect(page)["folds"]
    assert [f["names"] for f in folds] == [f"{names[a]} – {names[a + n - 1]}" for a, n in runs]
    assert [f["what"].split(" ", 2)[:2] for f in folds] == [["×", str(n)] for _, n in runs]
    hidden = {r["name"] for r in inspect(page)["rows"] if r["hidden"]}
    assert hidden == {names[i] for a, n in runs for i in range(a, a + n)}
    visible = page.locator(".ar-body tbody tr:visible").count()
    assert visible == len(names) - sum(n for _, n in runs) + len(runs)  # one summary row per run
    toggle = page.locator('.ar-fold-toggle[data-fold="15"]')  # layer3.1 – layer3.35
    toggle.click()
    page.wait_for_function(f"{W}.widget.inspect().folds[1].open")
    assert page.locator(".ar-body tbody tr:visible").count() == visible + 35
    assert not any(r["hidden"] for r in inspect(page)["rows"][15:50])
    page.locator('.ar-fold-toggle[data-fold="15"]').press("Enter")  # the keyboard closes it again
    page.wait_for_function(f"!{W}.widget.inspect().folds[1].open")
    assert page.locator(".ar-body tbody tr:visible").count() == visible


def _branch_texts(page) -> list[str]:
    return [b["text"] for b in inspect(page)["diagram"]["branches"]]


def _expect_parts_shown(block: blocks.Block, texts: list[str]):
    """Every convolution and pool of every branch shows its words, output and parameters in its branch."""
    assert len(texts) == len(block.branches)
    for branch, text in zip(block.branches, texts):
        for part in branch.parts:
            if part.kind == "batchnorm":
                assert f"+ {part.params:,} norm" in text, part
                continue
            assert chw(part.shape) in text, part
            if part.params:
                assert f"{part.params:,}" in text, part


def test_inception_module_drawn_as_four_branches(page, server_url):
    open_widget(page, server_url, "architecture", "?arv=googlenet")
    row = arch.example_block("googlenet")
    block = arch.block_at("googlenet", row)
    d = inspect(page)["diagram"]
    assert d["row"] == row and arch.network("googlenet")[2][row] == "inception3a"
    assert [b["label"] for b in d["branches"]] == [b.label for b in block.branches]
    _expect_parts_shown(block, _branch_texts(page))
    ends = " + ".join(str(b.parts[-1].shape[2]) for b in block.branches)
    assert d["merge"] == f"Concatenate the channels: {ends} → {chw(block.shape)}"
    assert "(the paper's 5×5)" in d["branches"][2]["label"]  # torchvision's 3×3 where the paper drew 5×5
    screenshot(page, "architecture-googlenet-inception3a")


def test_bottleneck_with_its_projection_then_an_identity_block(page, server_url):
    open_widget(page, server_url, "architecture", "?arv=resnet50")
    names = arch.network("resnet50")[2]
    block = arch.block_at("resnet50", names.index("layer2.0"))
    d = inspect(page)["diagram"]
    assert [b["label"] for b in d["branches"]] == ["main path", "projection shortcut"]
    assert d["branches"][1]["boxes"] == ["downsample.0"]  # its batch norm sits in the same box
    _expect_parts_shown(block, _branch_texts(page))
    assert d["merge"] == f"Add the two paths, then ReLU → {chw(block.shape)}"
    page.click('.ar-open[data-block="4"]')  # layer1.1, by its name in the table
    page.wait_for_function(f"{W}.widget.inspect().diagram.row === 4")
    page.wait_for_function("new URLSearchParams(location.search).get('arbk') === '4'")  # a link to this diagram
    identity = arch.block_at("resnet50", 4)
    assert identity.branches[1].parts == ()
    assert _branch_texts(page)[1] == f"identity shortcutthe input as it is, {chw(identity.input)}"
    assert page.locator('.ar-open[aria-current="true"]').inner_text() == "layer1.1"


def test_separable_convolution_beside_the_ordinary_one(page, server_url):
    open_widget(page, server_url, "architecture", "?arv=xception")
    d = inspect(page)["diagram"]
    assert arch.network("xception")[2][d["row"]] == "block5"
    cmp = blocks.separable_vs_ordinary(19, 19, 728, 728)
    sides = page.locator(".ar-sep-side").all_inner_texts()
    for side, cost in zip(sides, (cmp.separable, cmp.ordinary), strict=True):
        assert f"{cost.params:,}" in side
        assert f"{cost.madds:,}" in side.replace("\n", "")  # every digit beside its formula
    assert page.locator(".ar-sep-ratio").inner_text() == (
        f"The ordinary one needs {cmp.params_ratio:.1f}× the parameters and {cmp.madds_ratio:.1f}× the multiply-adds."
    )
    assert d["branches"][0]["boxes"][0] == "sepconv1.depthwise sepconv1.pointwise"  # one box per separable conv


# ---------------------------------------------------------------- a projector and a phone

SCREENS = {"1024x768": (1024, 768), "390x844": (390, 844)}

# Things that would stick out: the page or the table wider than the screen, or a table that scrolls in its box.
FIT = """(w) => {
  const table = document.querySelector('.ar-body .ar-table');
  const out = [];
  if (document.documentElement.scrollWidth > w) out.push('page ' + document.documentElement.scrollWidth);
  if (table.scrollWidth > table.clientWidth + 1) out.push('table scrolls ' + table.scrollWidth);
  for (const e of document.querySelectorAll('.ar-diagram *, .ar-body *'))
    if (e.getBoundingClientRect().right > w + 1) out.push(e.className + ' reaches ' + e.getBoundingClientRect().right);
  return out.slice(0, 5);
}"""
# The numbers an instructor points at, in CSS pixels.
SIZES = """() => [...document.querySelectorAll(
    '.ar-body .params, .ar-body .shape-cell, .ar-box-params b, .ar-sep-side b')]
  .filter(e => e.getClientRects().length).map(e => parseFloat(getComputedStyle(e).fontSize))"""


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("net", ["resnet152", "xception", "googlenet"])
def test_long_tables_fit_a_projector_and_a_phone(browser, server_url, screen, net):
    w, h = SCREENS[screen]
    phone = w < 600
    context = browser.new_context(viewport={"width": w, "height": h}, is_mobile=phone, has_touch=phone)
    try:
        page = context.new_page()
        open_widget(page, server_url, "architecture", f"?arv={net}")
        assert page.evaluate(FIT, w) == []
        sizes = page.evaluate(SIZES)
        assert sizes and min(sizes) >= 16, sizes
        # On the phone every row is a card (no column of numbers squeezed off the edge); at 1024 a table.
        display = page.eval_on_selector(".ar-body tbody tr", "tr => getComputedStyle(tr).display")
        assert display == ("grid" if phone else "table-row")
        screenshot(page, f"architecture-{net}-{screen}")
    finally:
        context.close()
