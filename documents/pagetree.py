"""A balanced page tree, so a reader fetching by ranges finds any page without reading them all.

qpdf writes the page tree flat: one /Pages node with every page in /Kids. To reach page N,
PDF.js walks /Kids and fetches each page before it to learn that it is a page (it does so for
the last page as soon as a document opens, to check the page count). In a linearized file
every page dictionary sits with that page's content, so on a flat tree opening a 300-page
paper reads a range from every part of the file. Grouped under intermediate /Pages nodes
carrying /Count, the walk skips whole groups: a handful of small fetches reach any page.
"""

from __future__ import annotations

import pikepdf

FAN_OUT = 8


def balance_page_tree(pdf: pikepdf.Pdf, fan_out: int = FAN_OUT) -> None:
    """Regroup ``pdf``'s pages under /Pages nodes of at most ``fan_out`` kids, in page order.

    Attributes inheritable from the old root (/Resources, /MediaBox, /CropBox, /Rotate) are
    first pushed down onto each page by pikepdf, so nothing changes for any page. Call it last,
    just before saving: adding or removing pages flattens the tree again.
    """
    pages: list[pikepdf.Object] = [page.obj for page in pdf.pages]  # pikepdf pushes inherited attributes down here
    if len(pages) <= fan_out:
        return
    root = pdf.Root.Pages
    for key in ("/Resources", "/MediaBox", "/CropBox", "/Rotate"):
        if key in root:
            del root[key]
    level: list[pikepdf.Object] = list(pages)
    counts = [1] * len(pages)
    while len(level) > fan_out:
        parents: list[pikepdf.Object] = []
        parent_counts: list[int] = []
        for start in range(0, len(level), fan_out):
            group = level[start : start + fan_out]
            count = sum(counts[start : start + fan_out])
            node = pdf.make_indirect(
                pikepdf.Dictionary(Type=pikepdf.Name.Pages, Kids=pikepdf.Array(group), Count=count)
            )
            for kid in group:
                kid.Parent = node
            parents.append(node)
            parent_counts.append(count)
        level, counts = parents, parent_counts
    root.Kids = pikepdf.Array(level)
    root.Count = len(pages)
    for kid in level:
        kid.Parent = root
