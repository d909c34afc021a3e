"""syncer: GitOps for Shopify inventory."""

__version__ = "0.1.0"
