"""syncer: GitOps for Shopify inventory.

The library API, for use without the CLI:

    >>> from syncer import load_manifests, plan, render_text  # doctest: +SKIP
    >>> desired = load_manifests(["stores/us"])                # doctest: +SKIP
"""

__version__ = "0.1.0"

from syncer.manifest import load_manifests, parse_manifest  # noqa: E402
from syncer.planner import plan  # noqa: E402
from syncer.render import render_json, render_markdown, render_text  # noqa: E402

__all__ = [
    "__version__",
    "load_manifests",
    "parse_manifest",
    "plan",
    "render_json",
    "render_markdown",
    "render_text",
]
