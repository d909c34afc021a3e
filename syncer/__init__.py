"""syncer: GitOps for Shopify inventory.

The stages, one package each: ``manifest`` (files -> desired state), ``shopify`` (store
connection, documents, reading the live state), ``plan`` (changes, planner, safety, renderers,
the plan document), ``apply`` (running a plan's steps, the report), ``emulator`` (a local
Shopify). ``engine`` runs the workflows; ``cli`` is the command line on top of it.

The library API, for use without the CLI:

    >>> from syncer import load_manifests, plan_changes, render_text  # doctest: +SKIP
    >>> desired = load_manifests(["stores/us"])                        # doctest: +SKIP
"""

__version__ = "0.2.0"

from syncer.manifest.load import load_manifests, parse_manifest  # noqa: E402
from syncer.plan.planner import plan as plan_changes  # noqa: E402
from syncer.plan.render import render_json, render_markdown, render_text  # noqa: E402

__all__ = [
    "__version__",
    "load_manifests",
    "parse_manifest",
    "plan_changes",
    "render_json",
    "render_markdown",
    "render_text",
]
